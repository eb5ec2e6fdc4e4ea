//===- Solvers.h - Plans that fit a memory budget ----------------*- C++ -*-===//
//
// Every solver returns a plan that has been simulated; `feasible` is decided by
// that simulation alone (peak <= budget), never by the solver's own model.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_SOLVERS_H
#define REMAT_PLANNER_SOLVERS_H

#include "remat/Planner/Problem.h"

#include <optional>
#include <string>
#include <string_view>

namespace remat::planner {

/// Manual: the policies (Node::policy) and nothing else, policyPlan.
enum class SolverKind {
  Fast,
  Exact,
  KeepAll,
  RecomputeAll,
  SqrtN,
  Knapsack,
  Manual
};

/// The largest SolveOptions::effort the tools accept: the stage search's time
/// grows about linearly with it.
inline constexpr int kMaxEffort = 64;

/// Parses `fast`, `exact`, `keep-all`, `recompute-all`, `sqrtn`, `knapsack`,
/// `manual`.
std::optional<SolverKind> parseSolverKind(std::string_view name);
std::string_view solverKindName(SolverKind kind);

/// The MILP solver behind `exact` (docs/planner.md, "exact"): HiGHS (built
/// from source by scripts/setup) proves more of the Checkmate graphs' optima
/// within minutes; CBC (Debian's coinor-libcbc) was the first one.
enum class MipSolver { Highs, Cbc };

/// Parses `highs`, `cbc`.
std::optional<MipSolver> parseMipSolver(std::string_view name);
std::string_view mipSolverName(MipSolver solver);

struct SolveOptions {
  int64_t budgetBytes = 0;
  /// Wall-clock limit of the MILP (exact); the other solvers do not need it.
  double timeLimitSeconds = 60;
  /// The MILP solver exact runs.
  MipSolver mipSolver = MipSolver::Highs;
  /// Threads the solve may use, 0: every core: solveMonotone's frontier
  /// (FrontierOptions::threads), and fast's independent starts (its search,
  /// the chain DP, the min-cut starts) on graphs over 1000 nodes. The plan
  /// is the same for any count.
  unsigned threads = 0;
  /// Search effort of fast (and of exact's fast start). N >= 1: the stage
  /// search (graphs up to 400 nodes) runs its iterated local search and
  /// randomized starts N rounds, each from the best so far, with N times its
  /// work, so from the same start it never ends dearer than at fewer rounds;
  /// near the smallest feasible budget it is often cheaper. Graphs of
  /// 400-1000 nodes get only the repair's work when the start does not fit;
  /// larger ones nothing. 0 (the default): automatic, by graph size: the
  /// plain search 16 rounds up to 128 nodes, 2048 / n rounds up to 400 (5 at
  /// 400), the deep-move search 1 round, 1 above 400 nodes (unchanged
  /// there), so a plain solve of a small graph stays well under a second;
  /// never dearer than effort 1 (docs/planner.md, "Search effort").
  /// solveMonotone passes it to each solve of its frontier
  /// (FrontierOptions::effort), 0 as 1: a frontier runs dozens of solves.
  int effort = 0;
  /// minPeakPlan(problem) of this very problem (costs included) when the
  /// caller has it, or null: fast falls back to it where nothing it finds
  /// fits, and solveMonotone's frontier takes it as its least level, instead
  /// of searching for it again (a few fast solves: 4 s at 10k nodes). The
  /// search is deterministic, so the plans are the same either way. Read
  /// during the call only.
  const Plan *knownMinPeak = nullptr;
};

struct SolveResult {
  Plan plan;
  Simulation sim;
  /// sim.peakBytes <= budget.
  bool feasible = false;
  /// The MILP proved `plan` has the least recompute cost among stage
  /// schedules (exact only).
  bool provenOptimal = false;
  /// Relative gap of the MILP between its incumbent and its bound (exact).
  double gap = 0;
  double solveSeconds = 0;
  /// Why the plan is infeasible, or what the solver noticed.
  std::string message;
  /// smallestFeasibleBudget's answer when the solve found it on the way
  /// (fast and exact below it, the monotone frontier always), else -1.
  int64_t leastPeakBytes = -1;
};

/// Every solver's plan honours the nodes' policies (validate checks them):
/// keep-all is then manual's plan, the other baselines drop only what the
/// pins let them.
SolveResult solve(const Problem &problem, SolverKind kind,
                  const SolveOptions &options);

/// Empty when the policies can be honoured by some plan; otherwise why not
/// (a node pinned Recompute that cannot be recomputed).
std::string checkPolicies(const Problem &problem);

/// The peak of the least-peak plan `fast` finds (a search over budgets, see
/// docs/planner.md, "The smallest feasible budget"): `solve(Fast)` has a plan
/// at every budget at or above it, and it is never above the unplanned
/// (keep-all) peak. Not proven minimal: `exact` may fit lower, never below
/// peakLowerBound. Costs a few fast solves.
int64_t smallestFeasibleBudget(const Problem &problem);

/// The least-peak plan behind smallestFeasibleBudget (its simulated peak).
/// Deterministic: a caller that also wants a plan near that budget, or a
/// monotone one, keeps it and passes it on (SolveOptions::knownMinPeak).
/// `threads` as SolveOptions::threads (the same plan on any count).
Plan minPeakPlan(const Problem &problem, unsigned threads = 0);

/// A proven lower bound on the peak of every plan: at each node's own step
/// the node, one version of each of its inputs and every non-recomputable
/// value still to be read are live; at the last step every output is. Linear
/// time.
int64_t peakLowerBound(const Problem &problem);

/// Proven lower bounds on the recompute cost of every plan within a budget,
/// over plans that run each node at or after its program position (every
/// solver's: recomputations come later; docs/planner.md, "A lower bound on
/// the recompute cost"). At a program step t of such a plan, each value
/// made before t and read at t or later is either live or recomputed after
/// t, and each recomputation costs at least its node's cost; so a plan
/// peaking at most B recomputes values crossing t worth at least
/// (bytes crossing t - B) bytes, and pays at least the cheapest fractional
/// choice of them (cost per byte ascending). Where t's own step is kept it
/// also holds t's output, scratch and inputs (which then never count as
/// recomputed); where it is not, t is recomputed: the step's bound is the
/// lesser of the two. A value recomputed after t needs its inputs then,
/// and they theirs: those that cross nothing are live at t too or
/// recomputed as well (3 levels deep; shared among the readers that may be
/// recomputed, a multiple-choice knapsack's LP bound). The bound is the
/// largest over the steps that hold most. Built once per problem (the crossing values of a few steps,
/// sorted); each budget then costs two binary searches per step.
class RecomputeCostBound {
public:
  explicit RecomputeCostBound(const Problem &problem);
  /// No such plan peaking at most `budget` bytes recomputes for less;
  /// infinity where none can peak that low.
  double at(int64_t budget) const;

private:
  /// Values a plan may recompute at one step, and the bytes held there
  /// beyond the budget that they must free.
  struct Knapsack {
    /// alwaysLiveBytes and the bytes held at the step.
    int64_t heldBytes = 0;
    /// Prefix sums of bytes and cost over the values' segments, cheapest
    /// per byte first (index 0: none).
    std::vector<double> bytesBefore;
    std::vector<double> costBefore;
    /// The least cost of freeing what `budget` leaves too much (fractional).
    double cost(int64_t budget) const;
  };
  /// One step t: its own step kept (`kept`: t's output, scratch and inputs
  /// held), or t recomputed later (`deferredCost`, then `deferred`: the
  /// crossing values only).
  struct Cut {
    Knapsack kept;
    std::optional<Knapsack> deferred;
    double deferredCost = 0;
  };
  std::vector<Cut> cuts_;
};

} // namespace remat::planner

#endif // REMAT_PLANNER_SOLVERS_H
