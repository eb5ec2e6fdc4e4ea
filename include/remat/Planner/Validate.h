//===- Validate.h - Sane planner input, checked once ------------*- C++ -*-===//
//
// Every front end (remat-plan's JSON reader, the MLIR extraction, fuzzers)
// checks its Problem and its options here once, so the solvers can assume
// sane input: sizes and costs that are non-negative and whose sums fit,
// inputs that point backwards, time limits that are finite.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_VALIDATE_H
#define REMAT_PLANNER_VALIDATE_H

#include "remat/Planner/Problem.h"

#include <string>

namespace remat::planner {

/// Empty when `problem` is well-formed: every node's inputs are earlier nodes
/// (so the graph is a DAG in program order), bytes and costs are finite and
/// non-negative, and `alwaysLiveBytes` plus every node's bytes sums to at most
/// INT64_MAX (so no live-byte count of any plan overflows) and the costs to a
/// finite total. Otherwise the first reason, naming the node.
std::string checkProblem(const Problem &problem);

/// The longest time limit accepted, in seconds (a week).
constexpr double kMaxTimeLimitSeconds = 7 * 24 * 3600;

/// Empty when `seconds` is a usable solver time limit: a number in
/// (0, kMaxTimeLimitSeconds]. Otherwise why not (NaN, infinities, zero and
/// negative limits are refused).
std::string checkTimeLimit(double seconds);

} // namespace remat::planner

#endif // REMAT_PLANNER_VALIDATE_H
