//===- Liveness.h - Version lifetimes of a schedule (internal) ---*- C++ -*-===//
//
// Shared by the simulator and the solvers that inspect which versions are live
// at a step (to pick what to recompute).
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_LIB_PLANNER_LIVENESS_H
#define REMAT_LIB_PLANNER_LIVENESS_H

#include "remat/Planner/Problem.h"

#include <cstdint>
#include <vector>

namespace remat::planner {

/// The facts of a Problem the simulator and RetentionFamily::build read for
/// every step of every schedule a search evaluates, in flat arrays: inputs in
/// one array (CSR), sizes and flags in their own. Through `Node` (a string
/// and an inputs vector of its own each) a step touched up to three cache
/// lines and two pointers; and `alwaysUsed`, a pass over every edge, was
/// redone by each simulation. Built once per problem (RetentionFamily owns
/// one); a plain `simulate(problem, plan)` builds its own.
class CompactGraph {
public:
  explicit CompactGraph(const Problem &problem);

  int numNodes() const { return static_cast<int>(bytes_.size()); }
  const int *inputsBegin(int node) const {
    return inputs_.data() + offsets_[node];
  }
  const int *inputsEnd(int node) const {
    return inputs_.data() + offsets_[node + 1];
  }
  int64_t bytes(int node) const { return bytes_[node]; }
  int64_t transientBytes(int node) const { return transient_[node]; }
  double cost(int node) const { return cost_[node]; }
  /// Node::output, one byte per node.
  const std::vector<uint8_t> &outputs() const { return output_; }
  /// A step running this node is kept whatever reads it: nothing consumes
  /// the node (the IR keeps it for its side effects) or it may not be re-run.
  const std::vector<uint8_t> &alwaysUsed() const { return alwaysUsed_; }
  int64_t alwaysLiveBytes() const { return alwaysLiveBytes_; }

private:
  std::vector<int> offsets_, inputs_;
  std::vector<int64_t> bytes_, transient_;
  std::vector<double> cost_;
  std::vector<uint8_t> output_, alwaysUsed_;
  int64_t alwaysLiveBytes_ = 0;
};

/// For each schedule step, whether the program keeps it: it defines the final
/// version of an output, or a version a kept step reads, or its node is one
/// nothing consumes (kept for its side effects) or may not be re-run. The
/// lowering deletes every other step (an op whose results nothing reads, and
/// then the ops only it read: docs/memory-model.md), so `simulate` counts
/// neither its bytes nor its cost nor its reads.
std::vector<bool> usedSteps(const Problem &problem, const Plan &plan);

/// For each schedule step, the last step (inclusive) at which the version it
/// defines is live; reads by unused steps (`usedSteps`) do not count.
std::vector<int> versionLastLiveStep(const Problem &problem, const Plan &plan);

/// `simulate`, also handing back the version lifetimes it computed.
Simulation simulateWithLiveness(const Problem &problem, const Plan &plan,
                                std::vector<int> &lastLive);
/// The same on the problem's CompactGraph (the searches' hot path).
Simulation simulateWithLiveness(const CompactGraph &graph, const Plan &plan,
                                std::vector<int> &lastLive);
/// `simulate` on the problem's CompactGraph: what code that holds a
/// RetentionFamily calls (family.graph()), sparing a CompactGraph per call.
Simulation simulate(const CompactGraph &graph, const Plan &plan);

} // namespace remat::planner

#endif // REMAT_LIB_PLANNER_LIVENESS_H
