//===- GraphJsonFuzzer.cpp - libFuzzer: JSON graphs into the planner ------===//
//
// Any bytes: readGraphJson (tools/remat-plan/GraphJson.h) either rejects them
// with an error or returns a Problem that passes checkProblem. Small accepted
// problems are then planned by every solver but exact (a CBC process per
// input would dominate the run) at a budget taken from the input's unplanned
// peak, and each plan must validate and, when feasible, fit its budget. A
// crash, a sanitizer report or a broken invariant aborts. See docs/fuzzing.md.
//
//===----------------------------------------------------------------------===//

#include "GraphJson.h"

#include "remat/Planner/Solvers.h"
#include "remat/Planner/Validate.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace remat::planner;

namespace {

/// Larger problems are only read: planning them would slow the fuzzer down
/// more than it finds.
constexpr size_t kMaxPlannedNodes = 64;

[[noreturn]] void broken(const char *what, const std::string &detail) {
  std::fprintf(stderr, "invariant broken: %s: %s\n", what, detail.c_str());
  std::abort();
}

void planAndCheck(const Problem &problem, int64_t budget) {
  for (SolverKind kind : {SolverKind::Fast, SolverKind::KeepAll,
                          SolverKind::RecomputeAll, SolverKind::SqrtN,
                          SolverKind::Knapsack}) {
    SolveOptions options;
    options.budgetBytes = budget;
    SolveResult result = solve(problem, kind, options);
    const std::string solver(solverKindName(kind));
    if (result.message.rfind("internal error", 0) == 0)
      broken(solver.c_str(), result.message);
    if (!result.feasible)
      continue;
    if (std::string invalid = validate(problem, result.plan); !invalid.empty())
      broken(solver.c_str(), invalid);
    if (result.sim.peakBytes > budget)
      broken(solver.c_str(), "a feasible plan peaks over the budget");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<Problem> problem = readGraphJson(
      llvm::StringRef(reinterpret_cast<const char *>(data), size));
  if (!problem) {
    llvm::consumeError(problem.takeError());
    return 0;
  }
  if (std::string invalid = checkProblem(*problem); !invalid.empty())
    broken("readGraphJson accepted a problem checkProblem rejects", invalid);
  if (problem->nodes.empty() || problem->nodes.size() > kMaxPlannedNodes)
    return 0;
  const int64_t peak = simulate(*problem, keepAllPlan(*problem)).peakBytes;
  // The input's last byte picks the budget: from 50% to 100% of the peak.
  const double fraction = 0.5 + (data[size - 1] % 51) / 100.0;
  planAndCheck(*problem, static_cast<int64_t>(fraction * peak));
  return 0;
}
