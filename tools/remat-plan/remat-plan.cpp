//===- remat-plan.cpp - Plan a training graph without IR ------------------===//
//
// Reads a graph in networkx node-link JSON (the formats of shared/graphs), a
// planner Problem dump (`{"format": "remat-problem", ...}`, written by any
// solve() run with REMAT_PLANNER_DUMP=PATH set, e.g. by remat-opt), see
// GraphJson.h, or generates a seeded random training graph, solves it for a
// budget and prints one JSON object with the result.
//
//   remat-plan GRAPH.json [--budget B] [--solver S] [--time-limit SECONDS]
//              [--mip-solver highs|cbc]
//   remat-plan --random N [--seed S] [...]
//
// --mip-solver picks exact's MILP solver: highs (the default) or cbc.
//
// --effort N (1-64) runs fast's stage search (graphs up to 400 nodes) for N
// rounds of kicks and randomized starts, each from the best so far, with N
// times the work (SolveOptions::effort); with --monotone, every solve of the
// frontier. 0, the default, is automatic: more rounds the smaller the graph
// (16 up to 128 nodes, 1 above 400), 1 for a frontier's solves.
//
// --monotone answers from a frontier of plans solved at a fixed grid of
// budgets (planner::solveMonotone): the plan's cost never rises with the
// budget. --levels N (2-1024; 0, the default: by graph size) sets that
// grid's size: more levels answer closer to a plain solve, at more solves.
//
// --plan FILE judges another tool's plan instead of solving (bench/planner:
// Moccasin's schedules): FILE is a JSON array of node positions in program
// order (0-based); a node's first entry is its own step, later entries are
// recomputes. The plan is validated and simulated like a solver's
// ("solver": "given").
//
//===----------------------------------------------------------------------===//

#include "GraphJson.h"

#include "remat/Planner/Budget.h"
#include "remat/Planner/Frontier.h"
#include "remat/Planner/RandomGraph.h"
#include "remat/Planner/Solvers.h"
#include "remat/Planner/Validate.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <optional>

using namespace remat::planner;

namespace {

struct Options {
  std::string graphPath;
  int randomNodes = 0;
  uint64_t seed = 1;
  std::string budget = "1.0";
  SolverKind solver = SolverKind::Fast;
  double timeLimit = 60;
  MipSolver mipSolver = MipSolver::Highs;
  /// solveMonotone instead of solve.
  bool monotone = false;
  /// The frontier's levels (--levels; 0: by graph size).
  int levels = 0;
  /// A plan to judge instead of solving (--plan).
  std::string planPath;
  /// SolveOptions::effort (with --monotone, of the frontier's solves); 0:
  /// automatic.
  int effort = 0;
};

[[noreturn]] void die(const llvm::Twine &message, int code = 1) {
  llvm::errs() << "remat-plan: " << message << "\n";
  std::exit(code);
}

/// The largest --random graph: its solve stays within minutes.
constexpr int64_t kMaxRandomNodes = 1000000;

constexpr const char *kUsage =
    "usage: remat-plan (GRAPH.json | --random N [--seed S]) [--budget B] "
    "[--solver fast|exact|keep-all|recompute-all|sqrtn|knapsack|manual] "
    "[--time-limit SECONDS] [--mip-solver highs|cbc] [--effort N] [--monotone [--levels N]] [--plan PLAN.json]";

/// `text` as a whole decimal integer in [min, max], or exits naming `flag`.
int64_t parseInteger(const std::string &flag, const std::string &text,
                     int64_t min, int64_t max) {
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno == ERANGE || value < min || value > max)
    die(flag + " expects a whole number from " + llvm::Twine(min) + " to " +
        llvm::Twine(max) + ", got '" + text + "'");
  return value;
}

/// `text` as a time limit in seconds (see checkTimeLimit), or exits.
double parseTimeLimit(const std::string &text) {
  char *end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || *end)
    die("--time-limit expects a number of seconds, got '" + text + "'");
  if (std::string invalid = checkTimeLimit(seconds); !invalid.empty())
    die("--time-limit '" + text + "': " + invalid);
  return seconds;
}

Options parseArgs(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value after " + arg + "\n" + kUsage);
      return argv[++i];
    };
    if (arg == "--budget")
      options.budget = value();
    else if (arg == "--solver") {
      std::string name = value();
      std::optional<SolverKind> kind = parseSolverKind(name);
      if (!kind)
        die("unknown solver '" + name + "'\n" + kUsage);
      options.solver = *kind;
    } else if (arg == "--time-limit")
      options.timeLimit = parseTimeLimit(value());
    else if (arg == "--mip-solver") {
      std::string name = value();
      std::optional<MipSolver> solver = parseMipSolver(name);
      if (!solver)
        die("unknown MILP solver '" + name + "' (highs or cbc)\n" + kUsage);
      options.mipSolver = *solver;
    }
    else if (arg == "--random")
      options.randomNodes = parseInteger(arg, value(), 1, kMaxRandomNodes);
    else if (arg == "--effort")
      options.effort = parseInteger(arg, value(), 0, kMaxEffort);
    else if (arg == "--monotone")
      options.monotone = true;
    else if (arg == "--levels") {
      options.levels = parseInteger(arg, value(), 0, kMaxFrontierLevels);
      if (!isValidFrontierLevels(options.levels))
        die("--levels expects 0 (by graph size) or a whole number from 2 to " +
            std::to_string(kMaxFrontierLevels) + ", got 1");
    }
    else if (arg == "--plan")
      options.planPath = value();
    else if (arg == "--seed")
      options.seed = parseInteger(arg, value(), 0, INT64_MAX);
    else if (arg == "--help" || arg == "-h") {
      llvm::outs() << kUsage << "\n";
      std::exit(0);
    } else if (!arg.empty() && arg[0] != '-' && options.graphPath.empty())
      options.graphPath = arg;
    else
      die("unexpected argument '" + arg + "'\n" + kUsage);
  }
  if (options.graphPath.empty() == (options.randomNodes <= 0))
    die(llvm::Twine("give either a graph file or --random N\n") + kUsage);
  if (options.levels != 0 && !options.monotone)
    die("--levels sets the levels of --monotone's frontier: give --monotone");
  return options;
}

Problem readGraph(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    die("cannot read '" + path + "': " + buffer.getError().message());
  llvm::Expected<Problem> problem = readGraphJson((*buffer)->getBuffer());
  if (!problem)
    die("'" + path + "': " + llvm::toString(problem.takeError()));
  return std::move(*problem);
}

/// The plan in `path` (see --plan), or exits saying why it is none.
Plan readPlan(const std::string &path, const Problem &problem) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    die("cannot read '" + path + "': " + buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    die("'" + path + "': not JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Array *steps = json->getAsArray();
  if (!steps)
    die("'" + path + "': expected an array of node positions");
  Plan plan;
  std::vector<bool> seen(problem.nodes.size(), false);
  for (const llvm::json::Value &step : *steps) {
    std::optional<int64_t> node = step.getAsInteger();
    if (!node || *node < 0 ||
        *node >= static_cast<int64_t>(problem.nodes.size()))
      die("'" + path + "': step " + llvm::Twine(plan.schedule.size()) +
          " is not a node position from 0 to " +
          llvm::Twine(problem.nodes.size() - 1));
    plan.schedule.push_back({static_cast<int>(*node), seen[*node]});
    seen[*node] = true;
  }
  if (std::string invalid = validate(problem, plan); !invalid.empty())
    die("'" + path + "': not a valid plan: " + invalid);
  return plan;
}

void printResult(const Options &options, const Problem &problem,
                 int64_t unplannedPeak, int64_t budget,
                 const SolveResult &result) {
  double baseCost = 0;
  for (const Node &node : problem.nodes)
    baseCost += node.cost;
  llvm::json::Object out{
      {"solver", options.planPath.empty()
                     ? std::string(solverKindName(options.solver))
                     : std::string("given")},
      {"nodes", static_cast<int64_t>(problem.nodes.size())},
      {"unplanned_peak_bytes", unplannedPeak},
      {"budget_bytes", budget},
      {"planned_peak_bytes", result.sim.peakBytes},
      {"recompute_cost", result.sim.recomputeCost},
      {"total_cost", baseCost + result.sim.recomputeCost},
      {"overhead_percent",
       baseCost > 0 ? 100 * result.sim.recomputeCost / baseCost : 0.0},
      {"solve_seconds", result.solveSeconds},
      {"feasible", result.feasible},
  };
  // RecomputeCostBound: no plan within the budget recomputes for less;
  // null where none can peak that low.
  const double bound = RecomputeCostBound(problem).at(budget);
  out["recompute_cost_lower_bound"] =
      std::isfinite(bound) ? llvm::json::Value(bound) : llvm::json::Value(nullptr);
  if (options.solver == SolverKind::Exact) {
    out["proven_optimal"] = result.provenOptimal;
    out["gap"] = result.gap;
  }
  if (!result.message.empty())
    out["message"] = result.message;
  llvm::outs() << llvm::json::Value(std::move(out)) << "\n";
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseArgs(argc, argv);
  Problem problem = options.randomNodes > 0
                        ? randomTrainingGraph(options.randomNodes, options.seed)
                        : readGraph(options.graphPath);
  BudgetOrError parsed = parseBudget(options.budget);
  if (!parsed.budget)
    die(parsed.error);
  const int64_t unplannedPeak =
      simulate(problem, keepAllPlan(problem)).peakBytes;
  const int64_t budget = parsed.budget->resolve(unplannedPeak);

  SolveOptions solveOptions;
  solveOptions.budgetBytes = budget;
  solveOptions.timeLimitSeconds = options.timeLimit;
  solveOptions.mipSolver = options.mipSolver;
  solveOptions.effort = options.effort;
  if (!options.planPath.empty()) {
    SolveResult given;
    given.plan = readPlan(options.planPath, problem);
    given.sim = simulate(problem, given.plan);
    given.feasible = given.sim.peakBytes <= budget;
    printResult(options, problem, unplannedPeak, budget, given);
    return given.feasible ? 0 : 2;
  }
  SolveResult result =
      options.monotone
          ? solveMonotone(problem, options.solver, solveOptions,
                          options.levels)
          : solve(problem, options.solver, solveOptions);
  printResult(options, problem, unplannedPeak, budget, result);
  if (!result.feasible) {
    llvm::outs().flush();
    die("no plan within " + llvm::Twine(budget) + " bytes from solver '" +
            std::string(solverKindName(options.solver)) + "' (" +
            result.message + "); the smallest feasible budget is " +
            llvm::Twine(result.leastPeakBytes >= 0
                            ? result.leastPeakBytes
                            : smallestFeasibleBudget(problem)) +
            " bytes (the least peak fast reaches; no plan peaks below " +
            llvm::Twine(peakLowerBound(problem)) + " bytes)",
        2);
  }
  return 0;
}
