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

namespace {

/// usedSteps into `used` (one byte per step: bit vectors cost a shift and a
/// mask per access in the hottest loop of every search).
void markUsedSteps(const Problem &problem, const Plan &plan,
                   std::vector<uint8_t> &used) {
  const int numSteps = plan.schedule.size();
  const int numNodes = problem.nodes.size();
  // A step must run whatever reads it when it defines the final version of
  // an output, or its node is one nobody consumes (the IR keeps it only for
  // its side effects) or one that may not be re-run.
  std::vector<uint8_t> alwaysUsed(numNodes, 1);
  for (const Node &node : problem.nodes)
    for (int input : node.inputs)
      alwaysUsed[input] = 0;
  // Backward, `needed[n]`: a kept step after this point reads the version of
  // n current here. One pass, nothing per step stored: this runs for every
  // state the search simulates.
  std::vector<uint8_t> needed(numNodes);
  for (int i = 0; i < numNodes; ++i) {
    const Node &node = problem.nodes[i];
    alwaysUsed[i] |= !node.recomputable;
    needed[i] = node.output;
  }
  used.assign(numSteps, 0);
  const Step *schedule = plan.schedule.data();
  for (int s = numSteps - 1; s >= 0; --s) {
    const int node = schedule[s].node;
    const uint8_t isUsed = needed[node] | alwaysUsed[node];
    used[s] = isUsed;
    // Earlier versions of `node` are shadowed by this one.
    needed[node] = 0;
    if (isUsed)
      for (int input : problem.nodes[node].inputs)
        needed[input] = 1;
  }
}

void lastLiveSteps(const Problem &problem, const Plan &plan,
                   const std::vector<uint8_t> &used,
                   std::vector<int> &lastLive) {
  const int numSteps = plan.schedule.size();
  // The step whose version each node's consumers currently read.
  std::vector<int> current(problem.nodes.size(), -1);
  lastLive.resize(numSteps);
  const Step *schedule = plan.schedule.data();
  for (int s = 0; s < numSteps; ++s) {
    const int node = schedule[s].node;
    if (used[s])
      for (int input : problem.nodes[node].inputs)
        if (current[input] >= 0)
          lastLive[current[input]] = s;
    // A version nobody reads is still materialized by the step that makes
    // it (unless the step itself is unused: then it holds nothing at all).
    lastLive[s] = s;
    current[node] = s;
  }
  for (int i = 0, e = problem.nodes.size(); i < e; ++i)
    if (problem.nodes[i].output && current[i] >= 0)
      lastLive[current[i]] = numSteps - 1;
}

} // namespace

std::vector<bool> usedSteps(const Problem &problem, const Plan &plan) {
  std::vector<uint8_t> used;
  markUsedSteps(problem, plan, used);
  return std::vector<bool>(used.begin(), used.end());
}

std::vector<int> versionLastLiveStep(const Problem &problem, const Plan &plan) {
  std::vector<uint8_t> used;
  markUsedSteps(problem, plan, used);
  std::vector<int> lastLive;
  lastLiveSteps(problem, plan, used, lastLive);
  return lastLive;
}

Simulation simulate(const Problem &problem, const Plan &plan) {
  std::vector<int> lastLive;
  return simulateWithLiveness(problem, plan, lastLive);
}

Simulation simulateWithLiveness(const Problem &problem, const Plan &plan,
                                std::vector<int> &lastLive) {
  const int numSteps = plan.schedule.size();
  std::vector<uint8_t> used;
  markUsedSteps(problem, plan, used);
  lastLiveSteps(problem, plan, used, lastLive);
  // Difference array: +bytes where a version starts, -bytes after it dies.
  std::vector<int64_t> delta(numSteps + 1, 0);
  Simulation sim;
  const Step *schedule = plan.schedule.data();
  for (int s = 0; s < numSteps; ++s) {
    // The lowering deletes a step whose version no used step reads.
    if (!used[s])
      continue;
    const Step &step = schedule[s];
    const Node &node = problem.nodes[step.node];
    delta[s] += node.bytes + node.transientBytes;
    delta[s + 1] -= node.transientBytes;
    delta[lastLive[s] + 1] -= node.bytes;
    if (step.recompute)
      sim.recomputeCost += node.cost;
  }
  sim.timeline.resize(numSteps);
  int64_t live = problem.alwaysLiveBytes;
  sim.peakBytes = problem.alwaysLiveBytes;
  for (int s = 0; s < numSteps; ++s) {
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
