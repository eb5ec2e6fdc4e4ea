//===- Solvers.cpp - Solver selection and the final simulator check -------===//

#include "Liveness.h"
#include "MinCut.h"
#include "SolverImpl.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>

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
    {SolverKind::Manual, "manual"},
};

/// Simulated steps the stage search (Stage.cpp) may spend per fast solve:
/// this many per node, at most kStageWorkSteps.
constexpr int64_t kStageWorkSteps = 2'000'000;
constexpr int64_t kStageWorkStepsPerNode = 8'000;

/// Largest graph whose recompute-all plan the solvers build on their own: its
/// schedule is quadratic on long chains (12.5 M steps on a 10k-node random
/// training graph; a 100k-node one ran out of 21 GB of memory building it).
constexpr size_t kRecomputeAllNodes = 10000;

/// Recompute-all's plan for the searches of one solve, built on first use
/// and only where its linear bound (recomputeAllPeakBound) lets it fit the
/// budget asked: its schedule is quadratic on long chains (12.5 M steps and
/// 0.8 s at 10k nodes).
class RecomputeAllOnce {
public:
  explicit RecomputeAllOnce(const RetentionFamily &family) : family_(family) {}
  /// The plan when it fits `budget`, else null.
  const Plan *within(int64_t budget) {
    if (family_.problem().nodes.size() > kRecomputeAllNodes)
      return nullptr;
    std::call_once(bounded_,
                   [&] { bound_ = recomputeAllPeakBound(family_); });
    if (bound_ > budget)
      return nullptr;
    std::call_once(built_, [&] {
      plan_ = recomputeAllPlan(family_);
      peak_ = simulate(family_.graph(), *plan_).peakBytes;
    });
    return peak_ <= budget ? &*plan_ : nullptr;
  }

private:
  const RetentionFamily &family_;
  std::once_flag bounded_, built_;
  int64_t bound_ = 0;
  std::optional<Plan> plan_;
  int64_t peak_ = 0;
};

/// Largest graph whose fastCore runs its starts on one thread (a solve there
/// takes milliseconds, and the threads' start-up would show).
constexpr size_t kThreadedStartsNodes = 1000;

/// Fast's plan, unless a baseline is cheaper and fits: fast is never worse
/// than the best feasible baseline. Recompute-all (a quadratic schedule on
/// long chains) is built only when nothing else fits, on graphs up to
/// kRecomputeAllNodes (`recomputeAll`: the solve's shared copy; null: never).
/// No min-peak fallback: this is also the search step of that fallback.
Plan fastCore(const RetentionFamily &family, int64_t budget,
              RecomputeAllOnce *recomputeAll, bool deepMoves, bool stageKicks,
              int effort, unsigned threads) {
  const Problem &problem = family.problem();
  // Fast's search, the chain DP and the min-cut starts read only the family
  // and the budget: on threads on large graphs (the same plans on any
  // count). The min-cut starts first: they take longest (37% of a 10k-node
  // frontier's time against fast's 15% and the chain DP's 28%).
  Plan best, chain, cut;
  forEachIndex(3, problem.nodes.size() > kThreadedStartsNodes ? threads : 1,
               [&](size_t k) {
                 if (k == 0)
                   cut = minCutPlan(family, budget);
                 else if (k == 1)
                   best = fastPlan(family, budget, deepMoves);
                 else
                   chain = chainPlan(family, budget);
               });
  Simulation bestSim = simulate(family.graph(), best);
  auto consider = [&](Plan plan) {
    Simulation sim = simulate(family.graph(), plan);
    if (sim.peakBytes > budget)
      return;
    if (bestSim.peakBytes > budget || sim.recomputeCost < bestSim.recomputeCost) {
      best = std::move(plan);
      bestSim = std::move(sim);
    }
  };
  if (!chain.schedule.empty())
    consider(std::move(chain));
  // Starts from min cuts of the forward/backward boundary (MinCut.cpp).
  if (!cut.schedule.empty())
    consider(std::move(cut));
  consider(sqrtNPlan(family));
  consider(knapsackPlan(family, budget));
  if (bestSim.peakBytes > budget && recomputeAll)
    if (const Plan *all = recomputeAll->within(budget))
      consider(*all);
  // Small graphs: leave the family for any stage schedule (Stage.cpp; it
  // honours the policies and validates what it returns).
  const int64_t work =
      std::max(1, effort) *
      std::min<int64_t>(kStageWorkSteps,
                        kStageWorkStepsPerNode *
                            static_cast<int64_t>(problem.nodes.size()));
  return stagePlan(problem, best, budget, work, stageKicks, effort);
}

/// Largest graph whose every-candidate-Always plan the min-peak search builds.
constexpr size_t kAllAlwaysNodes = 2000;

/// Fast solves the min-peak search may spend bisecting the budget, by
/// graph size (each is a full fast solve).
int minPeakBisections(size_t numNodes) {
  if (numNodes <= 1000)
    return 10;
  if (numNodes <= 5000)
    return 6;
  return 3;
}

/// Largest graph on which fastWithBaselines runs the deep-move search even
/// when the plain one fits.
constexpr size_t kDeepAlsoNodes = 400;

/// SolveOptions::effort 0 (automatic): rounds of the plain stage search by
/// graph size, kAutomaticEffortMax up to 128 nodes and kAutomaticEffortWork /
/// n above, so the time it adds stays about constant (a round's work grows
/// with the graph; docs/planner.md, "Search effort"); 1 above
/// kAutomaticEffortNodes (Stage.cpp's kStageSearchNodes: no kicks there).
constexpr int kAutomaticEffortMax = 16;
constexpr size_t kAutomaticEffortWork = 2048;
constexpr size_t kAutomaticEffortNodes = 400;

int automaticEffort(size_t numNodes) {
  if (numNodes > kAutomaticEffortNodes)
    return 1;
  return static_cast<int>(
      std::clamp<size_t>(kAutomaticEffortWork / std::max<size_t>(1, numNodes),
                         1, kAutomaticEffortMax));
}

/// fastCore, and when nothing it finds fits, the min-peak plan (`knownMinPeak`
/// when the caller has it, else searched): so every budget at or above
/// smallestFeasibleBudget gets a plan. Effort 0 is automaticEffort for the
/// plain search and 1 for the deep-move one (its rounds changed 2 cells of
/// 80, random-layered n250 near its smallest budget, for 1.6x the time; an
/// explicit effort buys them: docs/planner.md, "Search effort").
Plan fastWithBaselines(const RetentionFamily &family, int64_t budget,
                       int effort, const Plan *knownMinPeak, unsigned threads,
                       int64_t &leastPeak) {
  const Problem &problem = family.problem();
  const int deepEffort = effort > 0 ? effort : 1;
  if (effort <= 0)
    effort = automaticEffort(problem.nodes.size());
  RecomputeAllOnce recomputeAll(family);
  Plan best = fastCore(family, budget, &recomputeAll, /*deepMoves=*/false,
                       /*stageKicks=*/true, effort, threads);
  const Simulation sim = simulate(family.graph(), best);
  const bool fits = sim.peakBytes <= budget;
  // Small graphs also try the deep moves when the plain search fits: near
  // the smallest budget they often reach a cheaper basin (docs/planner.md).
  if (fits && problem.nodes.size() > kDeepAlsoNodes)
    return best;
  Plan deep = fastCore(family, budget, &recomputeAll, /*deepMoves=*/true,
                       /*stageKicks=*/true, deepEffort, threads);
  const Simulation deepSim = simulate(family.graph(), deep);
  if (deepSim.peakBytes <= budget &&
      (!fits || deepSim.recomputeCost < sim.recomputeCost))
    return deep;
  if (fits)
    return best;
  const Plan &least = family.leastPeakPlan(threads, knownMinPeak);
  leastPeak = simulate(family.graph(), least).peakBytes;
  if (leastPeak <= budget)
    return least;
  return best;
}

SolveResult runSolver(const RetentionFamily &family, SolverKind kind,
                      const SolveOptions &options) {
  const Problem &problem = family.problem();
  if (kind == SolverKind::Exact) {
    // Fast first: its plan is the MILP's start and exact's floor, so exact is
    // never worse than fast and has a plan whenever fast does.
    auto begin = std::chrono::steady_clock::now();
    int64_t leastPeak = -1;
    Plan start = fastWithBaselines(family, options.budgetBytes, options.effort,
                                   options.knownMinPeak, options.threads,
                                   leastPeak);
    const bool fits =
        !start.schedule.empty() &&
        simulate(problem, start).peakBytes <= options.budgetBytes;
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - begin)
                         .count();
    // Nothing recomputed: no plan is cheaper, so no MILP to run (it used to
    // spend its whole time limit at budgets where keep-all fits).
    if (fits && simulate(problem, start).recomputeCost == 0) {
      SolveResult result;
      result.plan = std::move(start);
      result.provenOptimal = true;
      return result;
    }
    SolveResult result =
        exactSolve(problem, options, fits ? &start : nullptr, seconds);
    result.leastPeakBytes = leastPeak;
    return result;
  }
  SolveResult result;
  switch (kind) {
  case SolverKind::KeepAll:
  case SolverKind::Manual:
    result.plan = policyPlan(family);
    break;
  case SolverKind::Fast:
    result.plan =
        fastWithBaselines(family, options.budgetBytes, options.effort,
                          options.knownMinPeak, options.threads,
                          result.leastPeakBytes);
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

} // namespace

/// A planning problem extracted from MLIR, replayed without IR (SolverImpl.h).
void dumpProblemIfAsked(const Problem &problem) {
  const char *path = std::getenv("REMAT_PLANNER_DUMP");
  if (!path || !*path)
    return;
  // The frontier solves on several threads: one writer at a time.
  static std::mutex dumping;
  std::lock_guard<std::mutex> lock(dumping);
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
                 "\"inputs\": [%s]%s}",
                 i ? "," : "", jsonString(node.name).c_str(),
                 static_cast<long long>(node.bytes), node.cost,
                 node.backward ? "true" : "false",
                 node.recomputable ? "true" : "false",
                 node.output ? "true" : "false", inputs.c_str(),
                 node.policy == Policy::Save        ? ", \"policy\": \"save\""
                 : node.policy == Policy::Recompute ? ", \"policy\": \"recompute\""
                                                    : "");
  }
  std::fprintf(file, "\n]}\n");
  std::fclose(file);
}

/// Schedule steps per node up to which the min-peak search builds
/// recompute-all before its bisection (where it may peak lower than fast's
/// first plan): then the bisection starts from its peak, and its solves,
/// asked for less, end as soon as they fail. Recompute-all's schedule is
/// quadratic on long chains: 179 steps per node on rmlp400's problem (3603
/// nodes, where it is the least peak), 1250 on a 10k-node random training
/// graph (0.8 s to build and simulate), where it is built after the
/// bisection only if its bound still allows it to peak lower.
constexpr size_t kRecomputeAllFirstStepsPerNode = 256;

/// The least-peak plan the fast machinery reaches (docs/planner.md, "The
/// smallest feasible budget"): keep-all, fast asked for the lower bound (its
/// descent drives the peak down until no move helps), recompute-all where it
/// is short and may peak lower, then a bisection of the budget between the
/// lower bound and the least peak found, every solve's plan counting by its
/// simulated peak whether or not it met the budget asked; then a long
/// recompute-all where it may still peak lower. Ties go to the cheaper
/// plan, which is then polished at its own peak. Deterministic, so every
/// caller gets the same plan: a caller that needs it twice keeps it
/// (SolveOptions::knownMinPeak).
Plan minPeakPlan(const RetentionFamily &family, unsigned threads) {
  const Problem &problem = family.problem();
  const size_t n = problem.nodes.size();
  Plan best = policyPlan(family);
  // The best plan's peak and cost.
  const Simulation policySim = simulate(family.graph(), best);
  int64_t bestPeak = policySim.peakBytes;
  double bestCost = policySim.recomputeCost;
  // A plan that peaks lower, or as low and cheaper, is the new best.
  auto better = [&](int64_t peak, double cost) {
    return peak < bestPeak || (peak == bestPeak && cost < bestCost);
  };
  // Whether `best` is recompute-all's plan.
  bool allBest = false;
  auto consider = [&](Plan plan, bool all = false) {
    const Simulation sim = simulate(family.graph(), plan);
    if (better(sim.peakBytes, sim.recomputeCost)) {
      best = std::move(plan);
      bestPeak = sim.peakBytes;
      bestCost = sim.recomputeCost;
      allBest = all;
    }
    return sim.peakBytes;
  };
  // The searches without fast's recompute-all fallback (they would return
  // it where nothing else fits: the bisection starts from its peak anyway
  // when it is built first).
  auto search = [&](int64_t budget) {
    return fastCore(family, budget, /*recomputeAll=*/nullptr,
                    /*deepMoves=*/true, /*stageKicks=*/false, /*effort=*/1,
                    threads);
  };
  // Recompute-all (every forward value recomputed before each use) only
  // where its linear bound lets it peak lower than the best so far (at an
  // equal peak the plan found is there already, and recompute-all
  // recomputes each value for every use), and its schedule is at most
  // `maxSteps` long.
  std::optional<int64_t> allBound;
  bool allBuilt = false;
  auto tryRecomputeAll = [&](size_t maxSteps) {
    if (allBuilt || n > kRecomputeAllNodes)
      return;
    if (!allBound)
      allBound = recomputeAllPeakBound(family);
    if (*allBound >= bestPeak)
      return;
    Plan all = recomputeAllPlan(family, maxSteps);
    if (all.schedule.empty())
      return;
    allBuilt = true;
    consider(std::move(all), /*all=*/true);
  };
  const int64_t bound = peakLowerBound(problem);
  // Every candidate, backward ones too, recomputed before each use: the
  // shortest lifetimes the family has (closures can be long; small graphs).
  if (n <= kAllAlwaysNodes) {
    std::vector<Retention> always(n, Retention::Keep);
    for (int node : family.candidates())
      always[node] = Retention::Always;
    consider(family.build(always));
  }
  int64_t low = bound;
  if (bestPeak > low)
    consider(search(low));
  tryRecomputeAll(kRecomputeAllFirstStepsPerNode * n);
  const int bisections = minPeakBisections(n);
  for (int k = 0; k < bisections && bestPeak - low > 1 &&
                  bestPeak - low > bestPeak / 2000;
       ++k) {
    const int64_t middle = low + (bestPeak - low) / 2;
    if (consider(search(middle)) > middle)
      low = middle;
  }
  tryRecomputeAll(std::numeric_limits<size_t>::max());
  // Recompute-all's peak, for less: the solves asked for less than it
  // returned what they found nearest, never a plan at its peak
  // (`--random 10000 --seed 4` reaches it at 223292 FLOPs, recompute-all
  // costs 4.8e8).
  if (allBest)
    consider(search(bestPeak));
  const int64_t trials = 4 * static_cast<int64_t>(n) + 1000;
  consider(polishPlan(problem, family.graph(), best, bestPeak, trials));
  return best;
}

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

std::optional<MipSolver> parseMipSolver(std::string_view name) {
  if (name == "highs")
    return MipSolver::Highs;
  if (name == "cbc")
    return MipSolver::Cbc;
  return std::nullopt;
}

std::string_view mipSolverName(MipSolver solver) {
  return solver == MipSolver::Highs ? "highs" : "cbc";
}

std::string checkPolicies(const Problem &problem) {
  const std::vector<int> deadline = recomputeDeadlines(problem);
  for (int i = 0, e = problem.nodes.size(); i < e; ++i)
    if (deadline[i] >= 0 && !problem.nodes[i].recomputable)
      return "node '" + problem.nodes[i].name +
             "' is pinned recompute but cannot be recomputed";
  return "";
}

SolveResult solve(const Problem &problem, SolverKind kind,
                  const SolveOptions &options) {
  dumpProblemIfAsked(problem);
  return solveInFamily(RetentionFamily(problem), kind, options);
}

SolveResult solveInFamily(const RetentionFamily &family, SolverKind kind,
                          const SolveOptions &options) {
  const Problem &problem = family.problem();
  auto begin = std::chrono::steady_clock::now();
  if (std::string why = checkPolicies(problem); !why.empty()) {
    SolveResult result;
    result.message = why;
    return result;
  }
  SolveResult result = runSolver(family, kind, options);
  checkBySimulation(problem, options, result);
  result.solveSeconds = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - begin)
                            .count();
  return result;
}

Plan minPeakPlan(const Problem &problem, unsigned threads) {
  if (problem.nodes.empty())
    return keepAllPlan(problem);
  return minPeakPlan(RetentionFamily(problem), threads);
}

int64_t smallestFeasibleBudget(const Problem &problem) {
  if (problem.nodes.empty())
    return problem.alwaysLiveBytes;
  return simulate(problem, minPeakPlan(problem)).peakBytes;
}

std::vector<int> lastReaders(const Problem &problem) {
  const int n = problem.nodes.size();
  std::vector<int> last(n);
  for (int i = 0; i < n; ++i)
    last[i] = problem.nodes[i].output ? n : i;
  for (int j = 0; j < n; ++j)
    for (int input : problem.nodes[j].inputs)
      last[input] = std::max(last[input], j);
  return last;
}

int64_t peakLowerBound(const Problem &problem) {
  std::vector<uint8_t> oneVersion(problem.nodes.size()),
      runsOnce(problem.nodes.size());
  for (size_t i = 0; i < problem.nodes.size(); ++i) {
    oneVersion[i] = !mayRecompute(problem.nodes[i]);
    runsOnce[i] = !problem.nodes[i].recomputable;
  }
  return peakLowerBound(problem, oneVersion, runsOnce);
}

std::vector<int64_t> oneVersionLiveBytes(const Problem &problem,
                                         const std::vector<uint8_t> &oneVersion) {
  const int n = problem.nodes.size();
  const std::vector<int> lastUse = lastReaders(problem);
  std::vector<int64_t> delta(n + 2, 0);
  for (int i = 0; i < n; ++i)
    if (oneVersion[i]) {
      delta[i] += problem.nodes[i].bytes;
      delta[std::min(lastUse[i], n - 1) + 1] -= problem.nodes[i].bytes;
    }
  std::vector<int64_t> live(n);
  int64_t sum = 0;
  for (int j = 0; j < n; ++j)
    live[j] = sum += delta[j];
  return live;
}

int64_t peakLowerBound(const Problem &problem,
                       const std::vector<uint8_t> &oneVersion,
                       const std::vector<uint8_t> &runsOnce) {
  const int n = problem.nodes.size();
  if (n == 0)
    return problem.alwaysLiveBytes;
  // Values with one version (non-recomputable ones in every plan) are live
  // from their step to their last consumer (outputs: to the end).
  const std::vector<int64_t> fixedAt = oneVersionLiveBytes(problem, oneVersion);
  // Some step that runs j is kept (usedSteps: every node lies on a path to
  // an output or a node kept for itself): there j, a version of each input
  // and the fixed values live then. That is j's own step when its first run
  // is always kept (it may not be recomputed, or nothing reads it); else it
  // may be a recomputation at any later stage, before the step of that
  // stage, where fewer fixed values may be live: those made before it and
  // read at it or later (fixedAt less the value that step makes; counting
  // it claimed more than a plan holds, test PeakLowerBound.*).
  std::vector<bool> consumed(n, false);
  for (const Node &node : problem.nodes)
    for (int input : node.inputs)
      consumed[input] = true;
  std::vector<int64_t> fixedLater(n);
  int64_t gapLater = INT64_MAX;
  for (int j = n - 1; j >= 0; --j) {
    fixedLater[j] = std::min(fixedAt[j], gapLater);
    gapLater = std::min(gapLater, fixedAt[j] - (oneVersion[j]
                                                    ? problem.nodes[j].bytes
                                                    : 0));
  }
  int64_t bound = 0;
  for (int j = 0; j < n; ++j) {
    const Node &node = problem.nodes[j];
    const bool firstRunKept = runsOnce[j] || !consumed[j];
    int64_t live = (firstRunKept ? fixedAt[j] : fixedLater[j]) +
                   (oneVersion[j] ? 0 : node.bytes);
    for (int input : distinctInputs(node))
      if (!oneVersion[input])
        live += problem.nodes[input].bytes;
    bound = std::max(bound, live);
  }
  // At the last step every output's final version is live.
  int64_t outputs = 0;
  for (int i = 0; i < n; ++i)
    if (problem.nodes[i].output || i == n - 1)
      outputs += problem.nodes[i].bytes;
  bound = std::max(bound, outputs);
  return problem.alwaysLiveBytes + bound;
}

} // namespace remat::planner
