//===- Problem.h - The planning problem, independent of MLIR ----*- C++ -*-===//
//
// A training step as the planner sees it: a DAG of nodes in program order, each
// producing one buffer. The MLIR layer extracts a Problem from a function (buffers
// already resolved through aliasing) and applies the Plan a solver returns.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_PROBLEM_H
#define REMAT_PLANNER_PROBLEM_H

#include <cstdint>
#include <string>
#include <vector>

namespace remat::planner {

/// A user's constraint on one node (docs/user-guide.md, "From
/// torch.utils.checkpoint to remat"), honoured by every solver and checked by
/// `validate`.
enum class Policy : uint8_t {
  /// The solver decides.
  Free,
  /// Never recomputed: its one version serves every consumer.
  Save,
  /// Never stashed: the version the forward pass made is not read from the
  /// node's first backward consumer on (see recomputeDeadlines); backward
  /// reads recomputed versions.
  Recompute,
};

struct Node {
  std::string name;
  /// Bytes of the buffer this node produces.
  int64_t bytes = 0;
  /// Cost of (re)computing the node (FLOPs, or profiled time).
  double cost = 0;
  /// Part of the backward pass (true) or the forward pass (false).
  bool backward = false;
  /// Pure and deterministic: may be re-run.
  bool recomputable = true;
  /// A result of the step: its buffer stays live until the end.
  bool output = false;
  /// Producers of the operands, all of smaller index.
  std::vector<int> inputs;
  /// Bytes live only while the node runs, each time it runs (a scratch
  /// buffer such as a pooling window that only this node reads).
  int64_t transientBytes = 0;
  Policy policy = Policy::Free;
};

/// May a plan recompute `node`: recomputable and not pinned Save.
inline bool mayRecompute(const Node &node) {
  return node.recomputable && node.policy != Policy::Save;
}

struct Problem {
  /// In program order; `inputs` point backwards only.
  std::vector<Node> nodes;
  /// Bytes live for the whole step (parameters, batch, other arguments).
  int64_t alwaysLiveBytes = 0;
};

/// One step of a schedule: run `node`. `recompute` is false exactly once per
/// node, at its original position; a recompute step makes a new version of the
/// node's value that later consumers use instead of the older one.
struct Step {
  int node = 0;
  bool recompute = false;
};

struct Plan {
  std::vector<Step> schedule;
};

/// The identity plan: every node once, in program order.
Plan keepAllPlan(const Problem &problem);

struct Simulation {
  int64_t peakBytes = 0;
  /// Index into the schedule of the first step at the peak.
  int peakStep = 0;
  /// Live bytes during each step of the schedule.
  std::vector<int64_t> timeline;
  /// Total cost of the recompute steps.
  double recomputeCost = 0;
};

/// Live bytes over the schedule under remat's memory model (docs/memory-model.md):
/// a value is live from the step that defines it to its last use, both
/// inclusive; outputs until the end; `alwaysLiveBytes` throughout; a node's
/// `transientBytes` during each step that runs it.
/// The plan must be valid (see `validate`); consumers read the latest version
/// of each input, a value nobody consumes and that is not an output is live only
/// at the step that defines it. A step whose version no kept step reads (a
/// node run and then only ever read in a later recomputation, or a
/// recomputation for such a step) is deleted by the lowering, as an op whose
/// results nothing reads: it counts no bytes, no cost and no reads.
Simulation simulate(const Problem &problem, const Plan &plan);

/// For each node pinned Policy::Recompute, the stage from which no step may
/// read the node's original version (its recompute steps and its own step):
/// its first backward consumer; for a pinned node only forward nodes read (a
/// GELU's 0.5*x inside a checkpointed region, which only the region's next op
/// reads), the first backward node after its last consumer, so that a
/// backward recomputation of that consumer recomputes it too, as
/// torch.utils.checkpoint re-runs a region from its inputs. -1 for every other
/// node, and for pinned nodes the pin does not constrain: outputs (live to the
/// end anyway), backward nodes, and nodes with no backward node after them.
std::vector<int> recomputeDeadlines(const Problem &problem);

/// Empty when `plan` is a valid schedule of `problem`: every node exactly once
/// as a non-recompute step, in program order; recompute steps only of
/// nodes that mayRecompute; every input defined by an earlier step; no read
/// of a Recompute-pinned node's original version at or after its deadline
/// (recomputeDeadlines). Otherwise the first reason it is not.
std::string validate(const Problem &problem, const Plan &plan);

} // namespace remat::planner

#endif // REMAT_PLANNER_PROBLEM_H
