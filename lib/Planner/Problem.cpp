//===- Problem.cpp - Identity plan, memory simulation, validation --------===//

#include "Liveness.h"

namespace remat::planner {

Plan keepAllPlan(const Problem &problem) {
  Plan plan;
  plan.schedule.reserve(problem.nodes.size());
  for (int i = 0, e = problem.nodes.size(); i < e; ++i)
    plan.schedule.push_back({i, /*recompute=*/false});
  return plan;
}

CompactGraph::CompactGraph(const Problem &problem)
    : alwaysLiveBytes_(problem.alwaysLiveBytes) {
  const int n = problem.nodes.size();
  offsets_.reserve(n + 1);
  offsets_.push_back(0);
  bytes_.reserve(n);
  transient_.reserve(n);
  cost_.reserve(n);
  output_.reserve(n);
  alwaysUsed_.assign(n, 1);
  for (const Node &node : problem.nodes) {
    inputs_.insert(inputs_.end(), node.inputs.begin(), node.inputs.end());
    offsets_.push_back(inputs_.size());
    bytes_.push_back(node.bytes);
    transient_.push_back(node.transientBytes);
    cost_.push_back(node.cost);
    output_.push_back(node.output);
    for (int input : node.inputs)
      alwaysUsed_[input] = 0;
  }
  for (int i = 0; i < n; ++i)
    alwaysUsed_[i] |= !problem.nodes[i].recomputable;
}

namespace {

/// One backward pass over the schedule: which steps the program keeps
/// (`used`, usedSteps), the last step each version is live (`lastLive`,
/// versionLastLiveStep) and, through `visit(step, lastLive)` for each kept
/// step, what the simulator adds up. This runs for every state a search
/// simulates, so it is one pass and nothing per node beyond one array:
/// `lastRead[n]` is the last step that reads the version of n current at
/// this point, -1 when no kept step reads it (outputs: the end, the step
/// ends with their final version live). A step is kept when a kept step
/// reads its version or its node is CompactGraph::alwaysUsed; its version
/// lives to its last read, or only at its own step when none. Going
/// backward, a definition closes its version (earlier reads read an older
/// one), and a kept step's reads are recorded after that: a node never
/// reads itself.
template <typename Visit>
void usedAndLiveness(const CompactGraph &graph, const Plan &plan,
                     std::vector<uint8_t> &used, std::vector<int> &lastLive,
                     std::vector<int> &lastRead, Visit visit) {
  const int numSteps = plan.schedule.size();
  const int numNodes = graph.numNodes();
  lastRead.assign(numNodes, -1);
  const uint8_t *output = graph.outputs().data();
  for (int i = 0; i < numNodes; ++i)
    if (output[i])
      lastRead[i] = numSteps - 1;
  const uint8_t *alwaysUsed = graph.alwaysUsed().data();
  used.resize(numSteps);
  lastLive.resize(numSteps);
  const Step *schedule = plan.schedule.data();
  for (int s = numSteps - 1; s >= 0; --s) {
    const int node = schedule[s].node;
    const int read = lastRead[node];
    const bool isUsed = read >= 0 || alwaysUsed[node];
    used[s] = isUsed;
    lastLive[s] = read >= 0 ? read : s;
    lastRead[node] = -1;
    if (!isUsed)
      continue;
    for (const int *in = graph.inputsBegin(node), *e = graph.inputsEnd(node);
         in != e; ++in)
      if (lastRead[*in] < 0)
        lastRead[*in] = s;
    visit(s, lastLive[s]);
  }
}

} // namespace

std::vector<bool> usedSteps(const Problem &problem, const Plan &plan) {
  std::vector<uint8_t> used;
  std::vector<int> lastLive, lastRead;
  usedAndLiveness(CompactGraph(problem), plan, used, lastLive, lastRead,
                  [](int, int) {});
  return std::vector<bool>(used.begin(), used.end());
}

std::vector<int> versionLastLiveStep(const Problem &problem, const Plan &plan) {
  std::vector<uint8_t> used;
  std::vector<int> lastLive, lastRead;
  usedAndLiveness(CompactGraph(problem), plan, used, lastLive, lastRead,
                  [](int, int) {});
  return lastLive;
}

Simulation simulate(const Problem &problem, const Plan &plan) {
  std::vector<int> lastLive;
  return simulateWithLiveness(CompactGraph(problem), plan, lastLive);
}

Simulation simulate(const CompactGraph &graph, const Plan &plan) {
  std::vector<int> lastLive;
  return simulateWithLiveness(graph, plan, lastLive);
}

Simulation simulateWithLiveness(const Problem &problem, const Plan &plan,
                                std::vector<int> &lastLive) {
  return simulateWithLiveness(CompactGraph(problem), plan, lastLive);
}

Simulation simulateWithLiveness(const CompactGraph &graph, const Plan &plan,
                                std::vector<int> &lastLive) {
  const int numSteps = plan.schedule.size();
  // The scratch arrays live on between this thread's calls: a search
  // simulates thousands of schedules of about one length, and fresh arrays
  // each time were page faults and zero fills (27% of the samples of a
  // 10k-node min-peak run; 3.6 -> 2.8 s wall with this and recompute-all
  // simulated once). Released after a schedule longer than
  // kKeptScratchSteps, so a thread holds a few MB at most.
  constexpr size_t kKeptScratchSteps = 1 << 20;
  thread_local std::vector<int64_t> delta;
  thread_local std::vector<uint8_t> used;
  thread_local std::vector<int> lastRead;
  struct Release {
    ~Release() {
      if (delta.capacity() > kKeptScratchSteps + 1) {
        std::vector<int64_t>().swap(delta);
        std::vector<uint8_t>().swap(used);
      }
      if (lastRead.capacity() > kKeptScratchSteps)
        std::vector<int>().swap(lastRead);
    }
  } release;
  // Difference array: +bytes where a version starts, -bytes after it dies.
  // The lowering deletes a step whose version no kept step reads: only kept
  // steps count.
  delta.assign(numSteps + 1, 0);
  Simulation sim;
  const Step *schedule = plan.schedule.data();
  usedAndLiveness(graph, plan, used, lastLive, lastRead, [&](int s, int last) {
    const int node = schedule[s].node;
    const int64_t bytes = graph.bytes(node);
    const int64_t transient = graph.transientBytes(node);
    delta[s] += bytes + transient;
    delta[s + 1] -= transient;
    delta[last + 1] -= bytes;
  });
  sim.timeline.resize(numSteps);
  int64_t live = graph.alwaysLiveBytes();
  sim.peakBytes = live;
  // Forward, so the cost is summed in schedule order (with fractional
  // costs, as cost=roofline gives, the order decides the last bits).
  for (int s = 0; s < numSteps; ++s) {
    if (used[s] && schedule[s].recompute)
      sim.recomputeCost += graph.cost(schedule[s].node);
    live += delta[s];
    sim.timeline[s] = live;
    if (s == 0 || live > sim.peakBytes) {
      sim.peakBytes = live;
      sim.peakStep = s;
    }
  }
  return sim;
}

std::vector<int> recomputeDeadlines(const Problem &problem) {
  const int numNodes = problem.nodes.size();
  std::vector<int> deadline(numNodes, -1);
  std::vector<bool> pinned(numNodes, false);
  for (int i = 0; i < numNodes; ++i) {
    const Node &node = problem.nodes[i];
    pinned[i] = node.policy == Policy::Recompute && !node.backward &&
                !node.output;
  }
  std::vector<int> lastConsumer(numNodes, -1);
  for (int j = 0; j < numNodes; ++j)
    for (int input : problem.nodes[j].inputs) {
      lastConsumer[input] = std::max(lastConsumer[input], j);
      if (problem.nodes[j].backward && pinned[input] && deadline[input] < 0)
        deadline[input] = j;
    }
  // The first backward node at or after each position.
  std::vector<int> nextBackward(numNodes + 1, -1);
  for (int j = numNodes - 1; j >= 0; --j)
    nextBackward[j] = problem.nodes[j].backward ? j : nextBackward[j + 1];
  for (int i = 0; i < numNodes; ++i)
    if (pinned[i] && deadline[i] < 0 && lastConsumer[i] >= 0)
      deadline[i] = nextBackward[lastConsumer[i] + 1];
  return deadline;
}

std::string validate(const Problem &problem, const Plan &plan) {
  const int numNodes = problem.nodes.size();
  const std::vector<int> deadline = recomputeDeadlines(problem);
  std::vector<bool> defined(numNodes, false);
  // The version consumers read is the node's original one.
  std::vector<bool> originalCurrent(numNodes, false);
  int nextOriginal = 0;
  for (int s = 0, e = plan.schedule.size(); s < e; ++s) {
    const Step &step = plan.schedule[s];
    // Only on failure: a string per step was most of validate's time on
    // the long schedules the frontier checks.
    auto where = [s] { return "step " + std::to_string(s); };
    if (step.node < 0 || step.node >= numNodes)
      return where() + ": node index " + std::to_string(step.node) +
             " out of range";
    const Node &node = problem.nodes[step.node];
    if (step.recompute && !mayRecompute(node))
      return where() + ": recomputes " +
             (node.recomputable ? "node '" + node.name + "', pinned save"
                                : "non-recomputable node '" + node.name + "'");
    if (!step.recompute && step.node != nextOriginal)
      return where() + ": runs node '" + node.name +
             "' out of program order or twice (expected node " +
             std::to_string(nextOriginal) + ")";
    for (int input : node.inputs) {
      if (!defined[input])
        return where() + ": node '" + node.name + "' reads '" +
               problem.nodes[input].name + "' before it is defined";
      // The step belongs to stage nextOriginal.
      if (originalCurrent[input] && deadline[input] >= 0 &&
          nextOriginal >= deadline[input])
        return where() + ": node '" + node.name + "' reads the stashed '" +
               problem.nodes[input].name + "', pinned recompute";
    }
    if (!step.recompute)
      ++nextOriginal;
    defined[step.node] = true;
    originalCurrent[step.node] = !step.recompute;
  }
  if (nextOriginal != numNodes)
    return "node '" + problem.nodes[nextOriginal].name + "' never runs";
  return "";
}

} // namespace remat::planner
