//===- Solvers.cpp - Solver selection and the final simulator check -------===//

#include "SolverImpl.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace remat::planner {

namespace {

struct SolverName {
  SolverKind kind;
  std::string_view name;
};

constexpr SolverName kSolverNames[] = {
    {SolverKind::Fast, "fast"},
    {SolverKind::Exact, "exact"},
    {SolverKind::KeepAll, "keep-all"},
    {SolverKind::RecomputeAll, "recompute-all"},
    {SolverKind::SqrtN, "sqrtn"},
    {SolverKind::Knapsack, "knapsack"},
};

/// Fast's plan, unless a baseline is cheaper and fits: fast is never worse
/// than the best feasible baseline. Recompute-all (a quadratic schedule on
/// long chains) is built only when nothing else fits.
Plan fastWithBaselines(const RetentionFamily &family, int64_t budget) {
  const Problem &problem = family.problem();
  Plan best = fastPlan(family, budget);
  Simulation bestSim = simulate(problem, best);
  auto consider = [&](Plan plan) {
    Simulation sim = simulate(problem, plan);
    if (sim.peakBytes > budget)
      return;
    if (bestSim.peakBytes > budget || sim.recomputeCost < bestSim.recomputeCost) {
      best = std::move(plan);
      bestSim = std::move(sim);
    }
  };
  Plan chain = chainPlan(family, budget);
  if (!chain.schedule.empty())
    consider(std::move(chain));
  consider(sqrtNPlan(family));
  consider(knapsackPlan(family, budget));
  if (bestSim.peakBytes > budget)
    consider(recomputeAllPlan(family));
  return best;
}

SolveResult runSolver(const Problem &problem, SolverKind kind,
                      const SolveOptions &options) {
  if (kind == SolverKind::Exact) {
    // Fast first: its plan is CBC's MIP start and exact's floor, so exact is
    // never worse than fast and has a plan whenever fast does.
    auto begin = std::chrono::steady_clock::now();
    RetentionFamily family(problem);
    Plan start = fastWithBaselines(family, options.budgetBytes);
    const bool fits =
        !start.schedule.empty() &&
        simulate(problem, start).peakBytes <= options.budgetBytes;
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - begin)
                         .count();
    return exactSolve(problem, options, fits ? &start : nullptr, seconds);
  }
  SolveResult result;
  if (kind == SolverKind::KeepAll) {
    result.plan = keepAllPlan(problem);
    return result;
  }
  RetentionFamily family(problem);
  switch (kind) {
  case SolverKind::Fast:
    result.plan = fastWithBaselines(family, options.budgetBytes);
    break;
  case SolverKind::RecomputeAll:
    result.plan = recomputeAllPlan(family);
    break;
  case SolverKind::SqrtN:
    result.plan = sqrtNPlan(family);
    break;
  case SolverKind::Knapsack:
    result.plan = knapsackPlan(family, options.budgetBytes);
    break;
  default:
    break;
  }
  return result;
}

/// The only judge of feasibility: the simulator, on a plan that validates.
void checkBySimulation(const Problem &problem, const SolveOptions &options,
                       SolveResult &result) {
  if (result.plan.schedule.empty() && !problem.nodes.empty()) {
    result.feasible = false;
    result.provenOptimal = false;
    return;
  }
  std::string invalid = validate(problem, result.plan);
  if (!invalid.empty()) {
    result.feasible = false;
    result.provenOptimal = false;
    result.message = "internal error: invalid plan: " + invalid;
    return;
  }
  result.sim = simulate(problem, result.plan);
  result.feasible = result.sim.peakBytes <= options.budgetBytes;
  if (!result.feasible && result.message.empty())
    result.message = "planned peak " + std::to_string(result.sim.peakBytes) +
                     " bytes exceeds the budget of " +
                     std::to_string(options.budgetBytes) + " bytes";
}

/// JSON-escaped `text` in quotes.
std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

/// REMAT_PLANNER_DUMP=PATH: every solve() writes its Problem there (the last
/// one wins) in the remat-problem JSON format that `remat-plan` reads, so a
/// planning problem extracted from MLIR can be replayed without IR.
void dumpProblemIfAsked(const Problem &problem) {
  const char *path = std::getenv("REMAT_PLANNER_DUMP");
  if (!path || !*path)
    return;
  FILE *file = std::fopen(path, "w");
  if (!file)
    return;
  std::fprintf(file, "{\"format\": \"remat-problem\", \"always_live_bytes\": %lld,\n"
                     " \"nodes\": [",
               static_cast<long long>(problem.alwaysLiveBytes));
  for (size_t i = 0; i < problem.nodes.size(); ++i) {
    const Node &node = problem.nodes[i];
    std::string inputs;
    for (size_t k = 0; k < node.inputs.size(); ++k)
      inputs += (k ? ", " : "") + std::to_string(node.inputs[k]);
    std::fprintf(file,
                 "%s\n  {\"name\": %s, \"bytes\": %lld, \"cost\": %.17g, "
                 "\"backward\": %s, \"recomputable\": %s, \"output\": %s, "
                 "\"inputs\": [%s]}",
                 i ? "," : "", jsonString(node.name).c_str(),
                 static_cast<long long>(node.bytes), node.cost,
                 node.backward ? "true" : "false",
                 node.recomputable ? "true" : "false",
                 node.output ? "true" : "false", inputs.c_str());
  }
  std::fprintf(file, "\n]}\n");
  std::fclose(file);
}

} // namespace

std::optional<SolverKind> parseSolverKind(std::string_view name) {
  for (const SolverName &entry : kSolverNames)
    if (entry.name == name)
      return entry.kind;
  return std::nullopt;
}

std::string_view solverKindName(SolverKind kind) {
  for (const SolverName &entry : kSolverNames)
    if (entry.kind == kind)
      return entry.name;
  return "unknown";
}

SolveResult solve(const Problem &problem, SolverKind kind,
                  const SolveOptions &options) {
  dumpProblemIfAsked(problem);
  auto begin = std::chrono::steady_clock::now();
  SolveResult result = runSolver(problem, kind, options);
  checkBySimulation(problem, options, result);
  result.solveSeconds = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - begin)
                            .count();
  return result;
}

int64_t smallestFeasibleBudget(const Problem &problem) {
  return simulate(problem, recomputeAllPlan(RetentionFamily(problem)))
      .peakBytes;
}

} // namespace remat::planner
