//===- Fast.cpp - Greedy descent and local search over retentions ---------===//
//
// See docs/planner.md, "fast". The search state is one Retention per value;
// every state is turned into a plan by the retention family and judged by the
// simulator, so the search never trusts an estimate for feasibility. Work is
// bounded by a count of simulated steps, which keeps the result deterministic.
//
//===----------------------------------------------------------------------===//

#include "Liveness.h"
#include "MinCut.h"
#include "SolverImpl.h"

#include <algorithm>
#include <atomic>
#include <limits>

namespace remat::planner {

namespace {

using State = std::vector<Retention>;

/// setCheckSkips() and its counts (atomics: frontiers solve on threads).
std::atomic<bool> checkSkips{false};
std::atomic<int64_t> relaxSkipped{0}, relaxSkippedThatFit{0};
std::atomic<int64_t> chainSkipped{0}, chainSkippedThatFit{0};

/// Simulated schedule steps the whole search may spend, and the most states
/// it evaluates on tiny graphs where steps are cheap.
constexpr int64_t kWorkSteps = 25'000'000;
/// ... and at most this many per node (schedules of deep recompute chains
/// grow quadratically; 10k nodes must solve in under a second).
constexpr int64_t kWorkStepsPerNode = 300;
constexpr int64_t kMinWorkSteps = 5'000'000;
constexpr int64_t kMaxEvaluations = 20'000;
/// Moves simulated one by one per descent step on large schedules; smaller
/// schedules simulate every move at the peak.
constexpr int kMovesToTry = 8;
constexpr size_t kSmallSchedule = 4000;
/// Up to this many nodes, every move at the peak is simulated on its own at
/// each descent step; larger graphs try a batch first and at most
/// kMovesToTry single moves (else a 1k-node descent spent its whole
/// evaluation budget on a few hundred steps and stalled short of the budget).
constexpr size_t kExhaustiveMoves = 300;
/// finish() polishes a start's all-Always variant when its schedule is at
/// most this many times the start's.
constexpr size_t kRicherStepsFactor = 4;
/// Most inputs a move also cuts (Move::alsoCut).
constexpr size_t kMaxAlsoCut = 8;
/// Up to this many candidates (3^9 states), search the family exhaustively.
constexpr size_t kEnumerateCandidates = 9;
/// Kicks of the iterated local search (graphs up to kExhaustiveMoves nodes).
constexpr int kPerturbRounds = 40;
/// Feasible states of the descent (small graphs) polished besides its best.
constexpr size_t kPooledStates = 8;
/// Feasible states of the enumeration that are polished.
constexpr size_t kPolishedStates = 8;
/// Largest graph whose recompute-all start (a quadratic schedule) is tried.
constexpr size_t kTopDownNodes = 500;
/// Values OverflowBound walks per relax check before it gives up, and
/// the block of its timeline maxima.
constexpr int kOverflowClosure = 4096;
constexpr int kOverflowBlock = 64;
/// Seeds of fastPlanFrom descended from: this many that fit and this many
/// cheaper ones that do not.
constexpr size_t kSeedsDescended = 2;

struct Evaluation {
  Plan plan;
  Simulation sim;
  std::vector<int> lastLive;
  /// Bytes over budget summed over steps: unlike the peak, it moves whenever
  /// a move relieves any over-budget step, which guides the descent.
  double excess = 0;
  bool feasible = false;
};

struct Move {
  int node;
  Retention to;
  double estimate;
  /// Also recompute the candidate inputs (two levels) before every use, so
  /// the new recompute does not stretch their lifetimes: one move where the
  /// single moves each make the peak worse.
  bool deep = false;
  /// Kept inputs (transitively) whose originals are dead at the peak: a
  /// recompute of `node` reading them would stretch them back over it, so
  /// the move cuts them too.
  std::vector<int> alsoCut;
};

Retention weaker(Retention r) {
  return r == Retention::Always ? Retention::Cut : Retention::Keep;
}

/// Whether a relax weakening (Cut -> Keep, Always -> Cut of a group) surely
/// overflows the budget before the first recompute step of any of its
/// values in the current plan. Up to that step both plans run the same steps
/// (no closure before it involved them, and only their validity changes).
/// There a Cut value kept (Cut -> Keep) is live from its old last read on,
/// when a kept step still reads it later: a kept program step, or, for a
/// value weakened alone, the recompute the plan made of it for a kept step
/// (in a group, that recompute may be one the others no longer need). What
/// it no longer needs recomputed may free the sources of its recompute
/// closure (inputs, through dropped values, down to kept or never-dropped
/// ones), each counted as freed after its last read by a kept program step.
/// The old timeline plus the kept bytes minus the freed ones is a lower
/// bound of the new plan's there. In a relax nearly every weakening
/// overflows (96-99% of its simulations on four exported models at 0.6
/// before this check), which this sees without building the plan.
class OverflowBound {
public:
  OverflowBound(const RetentionFamily &family, int64_t budget)
      : family_(family), graph_(family.graph()), problem_(family.problem()),
        budget_(budget) {}

  /// The plan changed: the next overflows() reads it anew.
  void forget() { fresh_ = false; }
  /// False (simulate) also when a closure is larger than kOverflowClosure.
  bool overflows(const State &state, const Evaluation &eval,
                 const std::vector<int> &group);

private:
  void read(const State &state, const Evaluation &eval);
  /// Largest timeline entry in [first, last): block maxima and a sparse
  /// table over them, so a query costs two partial blocks.
  int64_t timelineMax(const std::vector<int64_t> &timeline, int first,
                      int last) const;

  const RetentionFamily &family_;
  const CompactGraph &graph_;
  const Problem &problem_;
  const int64_t budget_;
  /// What read() took of the current plan, valid while fresh_: per node its
  /// program step, first recompute step (limit_ when none), last kept
  /// program read, and whether a kept step reads a version the plan
  /// recomputed (recomputed_ == planStamp_); the timeline's range maxima.
  bool fresh_ = false;
  int limit_ = 0, planStamp_ = -1;
  std::vector<int> step_, firstRecompute_, lastRead_, recomputed_;
  std::vector<std::vector<int64_t>> blockMax_;
  /// Pinned recompute: built Cut whatever the state says.
  std::vector<uint8_t> pinned_;
  /// Scratch of overflows(): changes, closure walk and its marks (one
  /// stamp per walk, shared with planStamp_'s counter).
  int stamp_ = 0;
  std::vector<std::pair<int, int64_t>> changes_;
  std::vector<int> stack_, mark_;
};

void OverflowBound::read(const State &state, const Evaluation &eval) {
  const int numNodes = state.size();
  const std::vector<Step> &schedule = eval.plan.schedule;
  const int limit = std::min(schedule.size(), eval.sim.timeline.size());
  limit_ = limit;
  if (pinned_.size() != state.size()) {
    mark_.assign(numNodes, -1);
    recomputed_.assign(numNodes, -1);
    pinned_.assign(numNodes, 0);
    for (int node : family_.pinnedRecompute())
      pinned_[node] = 1;
  }
  step_.assign(numNodes, -1);
  firstRecompute_.assign(numNodes, limit);
  lastRead_.assign(numNodes, -1);
  planStamp_ = ++stamp_;
  // A closure's recomputes are emitted together, right before the step
  // that needs them: a node's first recompute counts from its closure's
  // first step (without the node, the whole closure may change).
  int closureStart = 0;
  for (int step = 0; step < limit; ++step) {
    const int node = schedule[step].node;
    const bool kept = eval.lastLive[step] > step || graph_.alwaysUsed()[node];
    if (schedule[step].recompute) {
      if (step == 0 || !schedule[step - 1].recompute)
        closureStart = step;
      firstRecompute_[node] = std::min(firstRecompute_[node], closureStart);
      if (eval.lastLive[step] > step)
        recomputed_[node] = planStamp_;
      continue;
    }
    step_[node] = step;
    if (!kept)
      continue;
    for (const int *in = graph_.inputsBegin(node), *e = graph_.inputsEnd(node);
         in != e; ++in)
      lastRead_[*in] = step;
  }
  // blockMax_[k][b]: the maximum of blocks b .. b + 2^k - 1.
  const int blocks = (limit + kOverflowBlock - 1) / kOverflowBlock;
  blockMax_.resize(1);
  blockMax_[0].assign(blocks, std::numeric_limits<int64_t>::min());
  for (int step = 0; step < limit; ++step) {
    int64_t &most = blockMax_[0][step / kOverflowBlock];
    most = std::max(most, eval.sim.timeline[step]);
  }
  for (int width = 1; 2 * width <= blocks; width *= 2) {
    const std::vector<int64_t> &below = blockMax_.back();
    std::vector<int64_t> level(blocks - 2 * width + 1);
    for (size_t b = 0; b < level.size(); ++b)
      level[b] = std::max(below[b], below[b + width]);
    blockMax_.push_back(std::move(level));
  }
  fresh_ = true;
}

int64_t OverflowBound::timelineMax(const std::vector<int64_t> &timeline,
                                   int first, int last) const {
  int64_t most = std::numeric_limits<int64_t>::min();
  int step = first;
  for (; step < last && step % kOverflowBlock; ++step)
    most = std::max(most, timeline[step]);
  const int firstBlock = step / kOverflowBlock;
  const int endBlock = last / kOverflowBlock;
  if (firstBlock < endBlock) {
    int level = 0;
    while ((2 << level) <= endBlock - firstBlock)
      ++level;
    most = std::max({most, blockMax_[level][firstBlock],
                     blockMax_[level][endBlock - (1 << level)]});
    step = endBlock * kOverflowBlock;
  }
  for (; step < last; ++step)
    most = std::max(most, timeline[step]);
  return most;
}

bool OverflowBound::overflows(const State &state, const Evaluation &eval,
                              const std::vector<int> &group) {
  if (!fresh_)
    read(state, eval);
  // The stretch both plans share.
  int end = limit_;
  for (int node : group)
    end = std::min(end, firstRecompute_[node]);
  // Bytes added (kept) and freed (sources) from a step on, as (step, delta).
  std::vector<std::pair<int, int64_t>> &changes = changes_;
  changes.clear();
  int visited = 0;
  // One walk for the whole group: a source two members' closures share is
  // freed once (a walk per member subtracted it once per member, a looser
  // bound, and walked it again each time).
  const int walk = ++stamp_;
  for (int node : group) {
    const int step = step_[node];
    if (state[node] != Retention::Cut || pinned_[node] || step < 0 ||
        step >= end)
      continue;
    // Still read after its old last read, by a kept program step or (alone)
    // as the version the plan recomputed for a kept step.
    const bool neededLater =
        lastRead_[node] > eval.lastLive[step] ||
        (group.size() == 1 && recomputed_[node] == planStamp_);
    if (!neededLater)
      continue;
    const int start = eval.lastLive[step] + 1;
    if (start < end)
      changes.push_back({start, problem_.nodes[node].bytes});
    // Its sources may be freed even where it adds nothing to the stretch.
    std::vector<int> &stack = stack_;
    stack.assign(graph_.inputsBegin(node), graph_.inputsEnd(node));
    while (!stack.empty()) {
      const int value = stack.back();
      stack.pop_back();
      if (mark_[value] == walk)
        continue;
      mark_[value] = walk;
      if (++visited > kOverflowClosure)
        return false;
      if ((state[value] == Retention::Keep && !pinned_[value]) ||
          !family_.isCandidate(value)) {
        // Live in the new plan up to its last kept program read; outputs
        // to the end.
        if (graph_.outputs()[value])
          continue;
        const int freed = std::max(step_[value], lastRead_[value]) + 1;
        if (freed > 0 && freed < end)
          changes.push_back({freed, -problem_.nodes[value].bytes});
        continue;
      }
      // A dropped value recomputed within the stretch may hold a version
      // only this recompute still read: freed from after that step.
      if (firstRecompute_[value] + 1 < end)
        changes.push_back(
            {firstRecompute_[value] + 1, -problem_.nodes[value].bytes});
      stack.insert(stack.end(), graph_.inputsBegin(value),
                   graph_.inputsEnd(value));
    }
  }
  // The extra bytes are constant between changes: each stretch where they
  // are positive is one range-max query (the plan itself fits: relax runs
  // on feasible plans only).
  std::sort(changes.begin(), changes.end());
  int64_t extra = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    extra += changes[i].second;
    const int first = changes[i].first;
    const int last = i + 1 < changes.size() ? changes[i + 1].first : end;
    if (extra <= 0 || first >= last)
      continue;
    if (timelineMax(eval.sim.timeline, first, last) + extra > budget_)
      return true;
  }
  return false;
}

class FastSearch {
public:
  FastSearch(const RetentionFamily &family, int64_t budget, bool deepMoves)
      : family_(family), problem_(family.problem()), budget_(budget),
        deepMoves_(deepMoves), overflowBound_(family, budget) {
    double total = 0;
    for (const Node &node : problem_.nodes)
      total += node.cost;
    costEpsilon_ = 1e-6 * (total / std::max<size_t>(1, problem_.nodes.size()) + 1);
    workLeft_ = std::min<int64_t>(
        kWorkSteps,
        std::max<int64_t>(kMinWorkSteps,
                          kWorkStepsPerNode *
                              static_cast<int64_t>(problem_.nodes.size())));
  }

  Plan run();
  /// The search from given states instead of keep-all (fastPlanFrom).
  Plan runFrom(const std::vector<State> &seeds);

private:
  Plan enumerate();

  bool canEvaluate() const {
    return workLeft_ > 0 && evaluationsLeft_ > 0;
  }
  Evaluation evaluate(const State &state);
  /// What an evaluation costs the search (work, evaluations) and adds to its
  /// pool: evaluate() and the evaluations it does not repeat count it alike,
  /// so the search takes the same steps either way.
  void count(const State &state, int64_t steps, bool feasible, double cost);
  void remember(const State &state, double cost);
  static bool better(const Evaluation &a, const Evaluation &b);
  std::vector<Move> movesAtPeak(const State &state, const Evaluation &eval) const;
  void apply(State &state, const Move &move) const;
  bool tryBatch(State &state, Evaluation &eval, const std::vector<Move> &moves);
  bool bestSingleMove(State &state, Evaluation &eval, std::vector<Move> moves);
  void descend(State &state, Evaluation &eval);
  void relaxGroup(State &state, Evaluation &eval, const std::vector<int> &group);
  void relax(State &state, Evaluation &eval);
  void swapImprove(State &state, Evaluation &eval);
  void perturbImprove(State &state, Evaluation &eval);
  std::vector<int> droppedByCost(const State &state) const;
  Plan finish(const std::vector<State> &starts);

  const RetentionFamily &family_;
  const Problem &problem_;
  const int64_t budget_;
  /// Also try deep moves (Move::deep): they reach lower peaks, but the greedy
  /// takes them where plain moves would be cheaper in the end.
  const bool deepMoves_;
  double costEpsilon_;
  int64_t workLeft_ = kWorkSteps;
  int64_t evaluationsLeft_ = kMaxEvaluations;
  bool smallSchedule_ = true;
  bool exhaustiveMoves_ = true;
  /// Cheapest feasible states seen (small graphs), by cost.
  std::vector<std::pair<double, State>> pool_;
  /// Sees the relax's weakenings that surely overflow (relaxGroup).
  OverflowBound overflowBound_;
  /// evaluate() of a relax weakening, or, when the family knows its outcome
  /// and that outcome would be refused, its replay: nothing is built, but it
  /// counts as simulated (work, evaluations, the pool), so the search takes
  /// exactly the steps it would take without the memo. A relax tries the
  /// same weakened state again whenever nothing changed between the tries
  /// (its second round, the relax of another seed's descent, of a frontier's
  /// other levels): 31-60% of a transformer's simulations.
  Evaluation evaluateWeakened(const State &next, const Evaluation &current,
                              bool &refused);
};

Evaluation FastSearch::evaluate(const State &state) {
  Evaluation eval;
  eval.plan = family_.build(state);
  eval.sim = simulateWithLiveness(family_.graph(), eval.plan, eval.lastLive);
  for (int64_t live : eval.sim.timeline)
    eval.excess += static_cast<double>(std::max<int64_t>(0, live - budget_));
  eval.feasible = eval.sim.peakBytes <= budget_;
  count(state, eval.plan.schedule.size(), eval.feasible, eval.sim.recomputeCost);
  return eval;
}

void FastSearch::count(const State &state, int64_t steps, bool feasible,
                       double cost) {
  workLeft_ -= steps;
  --evaluationsLeft_;
  if (feasible && exhaustiveMoves_)
    remember(state, cost);
}

Evaluation FastSearch::evaluateWeakened(const State &next,
                                        const Evaluation &current,
                                        bool &refused) {
  RetentionFamily::Outcome outcome;
  if (family_.knownOutcome(next, outcome)) {
    Evaluation replay;
    replay.feasible = outcome.peakBytes <= budget_;
    replay.sim.peakBytes = outcome.peakBytes;
    replay.sim.recomputeCost = outcome.recomputeCost;
    if (!replay.feasible || !better(replay, current)) {
      count(next, outcome.steps, replay.feasible, outcome.recomputeCost);
      refused = true;
      return replay;
    }
  }
  refused = false;
  Evaluation eval = evaluate(next);
  family_.recordOutcome(next, {eval.sim.peakBytes, eval.sim.recomputeCost,
                               static_cast<int64_t>(eval.plan.schedule.size())});
  return eval;
}

/// Keep the cheapest few distinct feasible states met anywhere in the
/// search: a dearer state can polish to a cheaper plan than the best one.
void FastSearch::remember(const State &state, double cost) {
  if (pool_.size() == kPooledStates && cost >= pool_.back().first)
    return;
  for (const auto &entry : pool_)
    if (entry.first == cost && entry.second == state)
      return;
  auto at = std::upper_bound(
      pool_.begin(), pool_.end(), cost,
      [](double c, const std::pair<double, State> &e) { return c < e.first; });
  pool_.insert(at, {cost, state});
  if (pool_.size() > kPooledStates)
    pool_.pop_back();
}

bool FastSearch::better(const Evaluation &a, const Evaluation &b) {
  if (a.feasible != b.feasible)
    return a.feasible;
  if (!a.feasible)
    return a.excess < b.excess;
  return a.sim.recomputeCost < b.sim.recomputeCost;
}

/// Retention changes that would free a value live at the peak, best estimated
/// bytes per cost first. A cut helps only past the original's last use before
/// the cut; past the cut itself only Always frees the recomputed version.
std::vector<Move> FastSearch::movesAtPeak(const State &state,
                                          const Evaluation &eval) const {
  const std::vector<Step> &schedule = eval.plan.schedule;
  const int peak = eval.sim.peakStep;
  int position = peak;
  while (schedule[position].recompute)
    ++position;
  position = schedule[position].node;

  // Nodes with a version live at the peak.
  std::vector<char> liveAtPeak(problem_.nodes.size(), 0);
  for (int s = 0; s <= peak; ++s)
    if (eval.lastLive[s] >= peak)
      liveAtPeak[schedule[s].node] = 1;
  auto deadAtPeak = [&](int input) {
    return family_.isCandidate(input) && !liveAtPeak[input];
  };
  std::vector<Move> moves;
  std::vector<int> stack;
  // Graphs small enough to simulate every move at the peak do better
  // without (measured on FastIsCloseToExact's instances: 1.0062 vs 1.0029).
  const bool closureMoves = !exhaustiveMoves_;
  for (int s = 0; s <= peak; ++s) {
    if (eval.lastLive[s] < peak)
      continue;
    const int node = schedule[s].node;
    if (!family_.isCandidate(node))
      continue;
    const Node &value = problem_.nodes[node];
    double estimate = value.bytes / (value.cost + costEpsilon_);
    Move move{node, Retention::Always, estimate};
    if (schedule[s].recompute) {
      if (state[node] != Retention::Cut)
        continue;
    } else {
      if (state[node] != Retention::Keep ||
          position <= family_.lastUseBeforeCut(node))
        continue;
      if (position < family_.cutPosition(node))
        move.to = Retention::Cut;
    }
    // Inputs a recompute would bring back to life, and theirs.
    std::vector<int> &extra = move.alsoCut;
    stack.assign(value.inputs.begin(), value.inputs.end());
    int64_t revived = 0;
    double extraCost = 0;
    while (closureMoves && !stack.empty() && extra.size() < kMaxAlsoCut) {
      const int input = stack.back();
      stack.pop_back();
      if (!deadAtPeak(input) ||
          std::find(extra.begin(), extra.end(), input) != extra.end())
        continue;
      extra.push_back(input);
      extraCost += problem_.nodes[input].cost;
      if (std::find(value.inputs.begin(), value.inputs.end(), input) !=
          value.inputs.end())
        revived += problem_.nodes[input].bytes;
      stack.insert(stack.end(), problem_.nodes[input].inputs.begin(),
                   problem_.nodes[input].inputs.end());
    }
    if (extra.empty()) {
      moves.push_back(std::move(move));
      continue;
    }
    // Alone, the move frees the value but revives its dead inputs.
    Move alone{node, move.to,
               std::max<int64_t>(0, value.bytes - revived) /
                   (value.cost + costEpsilon_)};
    moves.push_back(alone);
    move.estimate = value.bytes / (value.cost + extraCost + costEpsilon_);
    moves.push_back(std::move(move));
  }
  std::stable_sort(moves.begin(), moves.end(),
                   [](const Move &a, const Move &b) {
                     return a.estimate > b.estimate;
                   });
  if (deepMoves_ && exhaustiveMoves_) {
    const size_t single = moves.size();
    for (size_t k = 0; k < single; ++k) {
      Move deep = moves[k];
      deep.deep = true;
      State probe = state;
      apply(probe, deep);
      probe[deep.node] = state[deep.node];
      if (probe != state)
        moves.push_back(deep);
    }
  }
  return moves;
}

void FastSearch::apply(State &state, const Move &move) const {
  state[move.node] = move.to;
  for (int input : move.alsoCut)
    state[input] = state[input] == Retention::Keep ? Retention::Cut
                                                   : Retention::Always;
  if (!move.deep)
    return;
  for (int input : problem_.nodes[move.node].inputs) {
    if (family_.isCandidate(input))
      state[input] = Retention::Always;
    for (int second : problem_.nodes[input].inputs)
      if (family_.isCandidate(second))
        state[second] = Retention::Always;
  }
}

/// Large schedules: apply the best-estimated moves that together cover the
/// excess at the peak, in one simulation.
bool FastSearch::tryBatch(State &state, Evaluation &eval,
                          const std::vector<Move> &moves) {
  State next = state;
  int64_t freed = 0;
  const int64_t needed = eval.sim.peakBytes - budget_;
  for (const Move &move : moves) {
    if (freed >= needed)
      break;
    // One move per value; a move that frees nothing does not count.
    if (next[move.node] != state[move.node] || move.estimate <= 0)
      continue;
    apply(next, move);
    freed += problem_.nodes[move.node].bytes;
  }
  Evaluation candidate = evaluate(next);
  if (candidate.excess >= eval.excess)
    return false;
  state = std::move(next);
  eval = std::move(candidate);
  return true;
}

/// Simulate each move and take the one with most excess removed per unit of
/// added recompute cost.
bool FastSearch::bestSingleMove(State &state, Evaluation &eval,
                                std::vector<Move> moves) {
  if (!exhaustiveMoves_ && moves.size() > kMovesToTry)
    moves.resize(kMovesToTry);
  double bestScore = 0;
  State bestState;
  Evaluation bestEval;
  for (const Move &move : moves) {
    if (!canEvaluate())
      break;
    State next = state;
    apply(next, move);
    Evaluation candidate = evaluate(next);
    double relieved = eval.excess - candidate.excess;
    double added = std::max(0.0, candidate.sim.recomputeCost -
                                     eval.sim.recomputeCost);
    double score = relieved / (added + costEpsilon_);
    if (relieved > 0 && score > bestScore) {
      bestScore = score;
      bestState = std::move(next);
      bestEval = std::move(candidate);
    }
  }
  if (bestScore == 0)
    return false;
  state = std::move(bestState);
  eval = std::move(bestEval);
  return true;
}

void FastSearch::descend(State &state, Evaluation &eval) {
  while (!eval.feasible && canEvaluate()) {
    std::vector<Move> moves = movesAtPeak(state, eval);
    if (moves.empty())
      return;
    if (!exhaustiveMoves_ && tryBatch(state, eval, moves))
      continue;
    if (!bestSingleMove(state, eval, std::move(moves)))
      return;
  }
}

std::vector<int> FastSearch::droppedByCost(const State &state) const {
  std::vector<int> dropped;
  for (int node : family_.candidates())
    if (state[node] != Retention::Keep)
      dropped.push_back(node);
  std::stable_sort(dropped.begin(), dropped.end(), [&](int a, int b) {
    return problem_.nodes[a].cost > problem_.nodes[b].cost;
  });
  return dropped;
}

/// Weaken a whole group at once; when that breaks the budget, bisect, so a
/// group of unneeded recomputes costs one simulation instead of one each.
/// A weakening that OverflowBound sees break the budget is not
/// simulated.
void FastSearch::relaxGroup(State &state, Evaluation &eval,
                            const std::vector<int> &group) {
  if (group.empty() || !canEvaluate())
    return;
  const bool overflows = overflowBound_.overflows(state, eval, group);
  // The weakened state is built only where it is simulated: on large graphs
  // the copy cost more than the check that skips it.
  State next;
  if (!overflows || checkSkips) {
    next = state;
    for (int node : group)
      next[node] = weaker(next[node]);
  }
  Evaluation candidate;
  bool refused = false;
  if (!overflows)
    candidate = evaluateWeakened(next, eval, refused);
  else if (checkSkips) {
    ++relaxSkipped;
    if (simulate(family_.graph(), family_.build(next)).peakBytes <= budget_)
      ++relaxSkippedThatFit;
  }
  if (!overflows && !refused && candidate.feasible && better(candidate, eval)) {
    state = std::move(next);
    eval = std::move(candidate);
    overflowBound_.forget();
    return;
  }
  if (group.size() == 1)
    return;
  auto middle = group.begin() + group.size() / 2;
  relaxGroup(state, eval, std::vector<int>(group.begin(), middle));
  relaxGroup(state, eval, std::vector<int>(middle, group.end()));
}

void FastSearch::relax(State &state, Evaluation &eval) {
  overflowBound_.forget();
  // Always -> Cut -> Keep takes two rounds.
  for (int round = 0; round < 2 && eval.feasible; ++round)
    relaxGroup(state, eval, droppedByCost(state));
}

/// Give up one recompute and repair the budget with others; keep the result
/// when it is cheaper. Escapes the descent's early, greedy choices.
void FastSearch::swapImprove(State &state, Evaluation &eval) {
  bool improved = true;
  while (improved && eval.feasible && canEvaluate()) {
    improved = false;
    for (int node : droppedByCost(state)) {
      if (!canEvaluate())
        return;
      State next = state;
      next[node] = weaker(next[node]);
      Evaluation candidate = evaluate(next);
      descend(next, candidate);
      if (candidate.feasible && better(candidate, eval)) {
        relax(next, candidate);
        state = std::move(next);
        eval = std::move(candidate);
        improved = true;
        break;
      }
    }
  }
}

/// Iterated local search: kick the best state (a few recomputes given up,
/// a few kept values cut, chosen by a fixed-seed generator), repair with the
/// descent, relax, and keep the result when cheaper. Escapes the local
/// optima of the swap moves; deterministic.
void FastSearch::perturbImprove(State &state, Evaluation &eval) {
  uint64_t rng = 0x9E3779B97F4A7C15ULL;
  auto next = [&](uint64_t bound) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return bound ? rng % bound : 0;
  };
  const std::vector<int> &candidates = family_.candidates();
  for (int round = 0; round < kPerturbRounds && eval.feasible && canEvaluate();
       ++round) {
    State kicked = state;
    std::vector<int> dropped = droppedByCost(state);
    for (int k = 0; k < 2 && !dropped.empty(); ++k) {
      const size_t at = next(dropped.size());
      kicked[dropped[at]] = Retention::Keep;
      dropped.erase(dropped.begin() + at);
    }
    const int node = candidates[next(candidates.size())];
    if (kicked[node] == Retention::Keep)
      kicked[node] = Retention::Cut;
    if (kicked == state)
      continue;
    Evaluation candidate = evaluate(kicked);
    descend(kicked, candidate);
    if (!candidate.feasible)
      continue;
    relax(kicked, candidate);
    if (better(candidate, eval)) {
      state = std::move(kicked);
      eval = std::move(candidate);
    }
  }
}

/// Leave the family: each start, and the start with every Cut made Always
/// (more recompute steps to choose from), is polished by dropping recompute
/// steps the budget does not need. The cheapest feasible plan wins.
Plan FastSearch::finish(const std::vector<State> &starts) {
  Plan best;
  double bestCost = 0;
  bool bestFeasible = false;
  int64_t bestExcess = 0;
  auto consider = [&](Plan plan) {
    Simulation sim = simulate(family_.graph(), plan);
    const bool feasible = sim.peakBytes <= budget_;
    const int64_t excess = sim.peakBytes - budget_;
    if (best.schedule.empty() ||
        (feasible && (!bestFeasible || sim.recomputeCost < bestCost)) ||
        (!feasible && !bestFeasible && excess < bestExcess)) {
      best = std::move(plan);
      bestCost = sim.recomputeCost;
      bestFeasible = feasible;
      bestExcess = excess;
    }
  };
  const int64_t trials = 4 * static_cast<int64_t>(problem_.nodes.size()) + 1000;
  for (const State &start : starts) {
    Plan plan = family_.build(start);
    consider(polishPlan(problem_, family_.graph(), plan, budget_, trials));
    State always = start;
    bool any = false;
    for (Retention &r : always)
      if (r == Retention::Cut) {
        r = Retention::Always;
        any = true;
      }
    if (any) {
      // On long chains the all-Always schedule is many times the graph; it
      // is polished only when not much longer than the plan itself, and
      // not built further (a 100k-node monotone answer built 338 M steps of
      // 16 such schedules to discard them).
      Plan richer =
          family_.build(always, kRicherStepsFactor * plan.schedule.size());
      if (!richer.schedule.empty())
        consider(polishPlan(problem_, family_.graph(), richer, budget_, trials));
    }
    consider(std::move(plan));
  }
  return best;
}

/// The cheapest feasible state of the whole family, else the least excess.
Plan FastSearch::enumerate() {
  const std::vector<int> &candidates = family_.candidates();
  State state(problem_.nodes.size(), Retention::Keep);
  Evaluation best = evaluate(state);
  State bestState = state;
  // The cheapest few feasible states go on to be polished.
  std::vector<std::pair<double, State>> cheapest;
  auto remember = [&](const Evaluation &eval) {
    if (!eval.feasible)
      return;
    cheapest.push_back({eval.sim.recomputeCost, state});
    std::stable_sort(cheapest.begin(), cheapest.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    if (cheapest.size() > kPolishedStates)
      cheapest.pop_back();
  };
  remember(best);
  int64_t combinations = 1;
  for (size_t k = 0; k < candidates.size(); ++k)
    combinations *= 3;
  for (int64_t code = 1; code < combinations; ++code) {
    int64_t digits = code;
    for (int node : candidates) {
      state[node] = static_cast<Retention>(digits % 3);
      digits /= 3;
    }
    Evaluation candidate = evaluate(state);
    remember(candidate);
    if (better(candidate, best)) {
      best = std::move(candidate);
      bestState = state;
    }
  }
  std::vector<State> starts = {bestState};
  for (auto &entry : cheapest)
    starts.push_back(std::move(entry.second));
  return finish(starts);
}

Plan FastSearch::run() {
  if (family_.candidates().size() <= kEnumerateCandidates)
    return enumerate();
  const size_t numNodes = problem_.nodes.size();
  smallSchedule_ = numNodes <= kSmallSchedule;
  exhaustiveMoves_ = numNodes <= kExhaustiveMoves;
  State state(numNodes, Retention::Keep);
  Evaluation eval = evaluate(state);
  descend(state, eval);
  relax(state, eval);

  // A second start from the other end: everything recomputed, then relaxed,
  // where recompute-all's quadratic schedule is cheap enough to simulate.
  // Also the fallback when the descent stalled short of the budget.
  const bool tryTopDown = numNodes <= kTopDownNodes ||
                          (!eval.feasible && numNodes <= kSmallSchedule);
  if (tryTopDown && workLeft_ > 0) {
    State top(numNodes, Retention::Keep);
    for (int node : family_.candidates())
      if (!problem_.nodes[node].backward)
        top[node] = Retention::Always;
    Evaluation topEval = evaluate(top);
    relax(top, topEval);
    if (better(topEval, eval)) {
      state = std::move(top);
      eval = std::move(topEval);
    }
  }
  if (smallSchedule_)
    swapImprove(state, eval);
  if (exhaustiveMoves_)
    perturbImprove(state, eval);
  std::vector<State> starts = {state};
  for (auto &entry : pool_)
    if (entry.second != state)
      starts.push_back(std::move(entry.second));
  return finish(starts);
}

/// The cheapest seeds that fit, and the seeds cheaper than every fitting
/// one that come closest to fitting (least excess), are descended from and
/// relaxed; the best goes on to the polish.
Plan FastSearch::runFrom(const std::vector<State> &seeds) {
  const size_t numNodes = problem_.nodes.size();
  smallSchedule_ = numNodes <= kSmallSchedule;
  exhaustiveMoves_ = numNodes <= kExhaustiveMoves;
  struct Scored {
    double cost;
    double excess;
    bool feasible;
    size_t index;
  };
  std::vector<Scored> scored;
  // Kept for the seeds descended from, which evaluated them again.
  std::vector<Evaluation> evaluations;
  for (size_t k = 0; k < seeds.size() && canEvaluate(); ++k) {
    evaluations.push_back(evaluate(seeds[k]));
    const Evaluation &eval = evaluations.back();
    scored.push_back({eval.sim.recomputeCost, eval.excess, eval.feasible, k});
  }
  double cheapestFit = std::numeric_limits<double>::infinity();
  for (const Scored &s : scored)
    if (s.feasible)
      cheapestFit = std::min(cheapestFit, s.cost);
  std::vector<Scored> fits, near;
  for (const Scored &s : scored) {
    if (s.feasible)
      fits.push_back(s);
    else if (s.cost < cheapestFit)
      near.push_back(s);
  }
  std::stable_sort(fits.begin(), fits.end(), [](const Scored &a, const Scored &b) {
    return a.cost < b.cost;
  });
  std::stable_sort(near.begin(), near.end(), [](const Scored &a, const Scored &b) {
    return a.excess < b.excess;
  });
  fits.resize(std::min<size_t>(fits.size(), kSeedsDescended));
  near.resize(std::min<size_t>(near.size(), kSeedsDescended));
  fits.insert(fits.end(), near.begin(), near.end());
  State best;
  Evaluation bestEval;
  std::vector<State> others;
  for (const Scored &s : fits) {
    State state = seeds[s.index];
    // Evaluated again, as before, but not simulated again.
    Evaluation eval = std::move(evaluations[s.index]);
    count(state, eval.plan.schedule.size(), eval.feasible, eval.sim.recomputeCost);
    descend(state, eval);
    relax(state, eval);
    if (best.empty() || better(eval, bestEval)) {
      if (!best.empty() && bestEval.feasible)
        others.push_back(std::move(best));
      best = std::move(state);
      bestEval = std::move(eval);
    } else if (eval.feasible) {
      others.push_back(std::move(state));
    }
  }
  if (best.empty())
    return {};
  std::vector<State> starts = {best};
  for (State &other : others)
    if (other != best)
      starts.push_back(std::move(other));
  for (auto &entry : pool_)
    if (entry.second != best)
      starts.push_back(std::move(entry.second));
  return finish(starts);
}

} // namespace

void setCheckSkips(bool on) {
  relaxSkipped = 0;
  relaxSkippedThatFit = 0;
  chainSkipped = 0;
  chainSkippedThatFit = 0;
  checkSkips = on;
}

bool checkingSkips() { return checkSkips; }

void countChainSkip(bool fits) {
  ++chainSkipped;
  if (fits)
    ++chainSkippedThatFit;
}

SkipCounts skipCounts() {
  return {relaxSkipped.load(), relaxSkippedThatFit.load(), chainSkipped.load(),
          chainSkippedThatFit.load()};
}

Plan fastPlanFrom(const RetentionFamily &family, int64_t budgetBytes,
                  const std::vector<std::vector<Retention>> &states) {
  if (states.empty())
    return {};
  return FastSearch(family, budgetBytes, /*deepMoves=*/false).runFrom(states);
}

Plan fastPlan(const RetentionFamily &family, int64_t budgetBytes,
              bool deepMoves) {
  return FastSearch(family, budgetBytes, deepMoves).run();
}

} // namespace remat::planner
