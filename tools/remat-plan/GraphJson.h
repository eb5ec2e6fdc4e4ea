//===- GraphJson.h - Planner problems from JSON graphs ----------*- C++ -*-===//
//
// The graph formats remat-plan reads: networkx node-link JSON (the Checkmate
// and random-layered graphs of shared/graphs, links under `links` or `edges`,
// integer or string node ids) and the planner's own Problem dump
// (`{"format": "remat-problem", ...}`, written by solve() under
// REMAT_PLANNER_DUMP=PATH). Any input gives either a Problem that passes
// `checkProblem` or an error naming the offending node: this is the fuzzing
// entry point of the planner (fuzz/).
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_TOOLS_REMAT_PLAN_GRAPHJSON_H
#define REMAT_TOOLS_REMAT_PLAN_GRAPHJSON_H

#include "remat/Planner/Problem.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace remat::planner {

/// Deepest nesting of arrays and objects accepted: llvm::json's parser
/// recurses once per level, and graph files nest four levels deep.
constexpr int kMaxJsonNesting = 256;

/// The Problem described by `text`, or why it is not one.
llvm::Expected<Problem> readGraphJson(llvm::StringRef text);

} // namespace remat::planner

#endif // REMAT_TOOLS_REMAT_PLAN_GRAPHJSON_H
