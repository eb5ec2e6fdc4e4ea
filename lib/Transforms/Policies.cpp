//===- Policies.cpp - A user's save / recompute choices -------------------===//

#include "remat/Transforms/Policies.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>

using namespace mlir;

namespace remat {

StringRef policyName(planner::Policy policy) {
  switch (policy) {
  case planner::Policy::Save:
    return "save";
  case planner::Policy::Recompute:
    return "recompute";
  case planner::Policy::Free:
    break;
  }
  return "";
}

namespace {

/// No checkpoint region.
constexpr int64_t kNoSegment = INT64_MIN;

/// What the attributes of a function say, per node.
class PolicyReader {
public:
  PolicyReader(const TrainingGraph &graph, PlanningProblem &problem,
               StringRef pass)
      : graph(graph), problem(problem), pass(pass),
        explicitPolicy(problem.problem.nodes.size()),
        explicitOp(problem.problem.nodes.size(), nullptr),
        segment(problem.problem.nodes.size(), kNoSegment) {}

  LogicalResult readAttributes(bool segmentsGiven);
  void splitSequentially(unsigned segments);
  LogicalResult assign();

private:
  LogicalResult readOp(Operation *op, bool segmentsGiven);
  InFlightDiagnostic error(Operation *op) {
    return op->emitError() << pass << ": ";
  }

  const TrainingGraph &graph;
  PlanningProblem &problem;
  StringRef pass;
  std::vector<std::optional<planner::Policy>> explicitPolicy;
  /// The op whose remat.policy set explicitPolicy.
  std::vector<Operation *> explicitOp;
  std::vector<int64_t> segment;
};

} // namespace

LogicalResult PolicyReader::readOp(Operation *op, bool segmentsGiven) {
  Attribute policyAttr = op->getAttr(kPolicyAttrName);
  Attribute segmentAttr = op->getAttr(kCheckpointAttrName);
  if (!policyAttr && !segmentAttr)
    return success();
  if (graph.isBackward(op))
    return error(op) << "'" << (policyAttr ? kPolicyAttrName
                                           : kCheckpointAttrName)
                     << "' on a backward op: policies and checkpoint regions "
                        "apply to forward ops (those the loss depends on)";
  auto node = problem.nodeOf.find(op);
  std::optional<planner::Policy> policy;
  if (policyAttr) {
    auto name = dyn_cast<StringAttr>(policyAttr);
    if (name && name.getValue() == "save")
      policy = planner::Policy::Save;
    else if (name && name.getValue() == "recompute")
      policy = planner::Policy::Recompute;
    else
      return error(op) << "unknown " << kPolicyAttrName << " " << policyAttr
                       << "; expected \"save\" or \"recompute\"";
  }
  std::optional<int64_t> id;
  if (segmentAttr) {
    auto integer = dyn_cast<IntegerAttr>(segmentAttr);
    if (!integer || !isa<IntegerType>(integer.getType()))
      return error(op) << kCheckpointAttrName << " must be an integer id of "
                       << "the checkpoint region (one per "
                          "torch.utils.checkpoint call), got "
                       << segmentAttr;
    if (segmentsGiven)
      return error(op) << "segments= splits the step into checkpoint regions "
                          "of its own, but this op already belongs to region "
                       << integer.getInt() << "; use one or the other";
    id = integer.getInt();
  }
  // Free ops (constants, views, empty tensors) hold no buffer of their own.
  if (node == problem.nodeOf.end())
    return success();
  const int index = node->second;
  if (policy) {
    if (explicitPolicy[index] && *explicitPolicy[index] != *policy)
      return error(op) << kPolicyAttrName << " \"" << policyName(*policy)
                       << "\" contradicts \""
                       << policyName(*explicitPolicy[index])
                       << "\" on an op writing the same buffer";
    explicitPolicy[index] = policy;
    explicitOp[index] = op;
  }
  if (id)
    segment[index] = *id;
  return success();
}

LogicalResult PolicyReader::readAttributes(bool segmentsGiven) {
  for (Operation *op : graph.getOps())
    if (failed(readOp(op, segmentsGiven)))
      return failure();
  return success();
}

void PolicyReader::splitSequentially(unsigned segments) {
  const std::vector<planner::Node> &nodes = problem.problem.nodes;
  double total = 0;
  int forwardCount = 0;
  for (const planner::Node &node : nodes)
    if (!node.backward) {
      total += node.cost;
      ++forwardCount;
    }
  // Each node goes to the segment its FLOPs' midpoint falls in (by position
  // when the forward pass costs nothing); the last segment stays
  // un-checkpointed, as in checkpoint_sequential.
  double before = 0;
  int position = 0;
  for (int i = 0, e = nodes.size(); i < e; ++i) {
    if (nodes[i].backward)
      continue;
    const double middle =
        total > 0 ? (before + nodes[i].cost / 2) / total
                  : (position + 0.5) / std::max(forwardCount, 1);
    const int64_t k = std::min<int64_t>(segments - 1, middle * segments);
    if (k < segments - 1)
      segment[i] = k;
    before += nodes[i].cost;
    ++position;
  }
}

LogicalResult PolicyReader::assign() {
  std::vector<planner::Node> &nodes = problem.problem.nodes;
  const int n = nodes.size();
  // A value its region passes to forward ops outside follows the normal
  // rules; one read only inside its region (and by backward) is never
  // stashed; a value a region reads from outside is kept.
  std::vector<bool> leavesRegion(n, false), readByRegion(n, false);
  for (int j = 0; j < n; ++j) {
    if (nodes[j].backward)
      continue;
    for (int input : nodes[j].inputs) {
      if (segment[input] != segment[j])
        leavesRegion[input] = true;
      if (segment[j] != kNoSegment && segment[input] != segment[j])
        readByRegion[input] = true;
    }
  }
  for (int i = 0; i < n; ++i) {
    planner::Node &node = nodes[i];
    if (explicitPolicy[i]) {
      node.policy = *explicitPolicy[i];
      if (node.policy == planner::Policy::Recompute && !node.recomputable)
        return error(explicitOp[i])
               << kPolicyAttrName
               << " \"recompute\" on an op that cannot be recomputed (it "
                  "has memory effects, or writes a buffer with an op that "
                  "does); remat re-runs only ops free of memory effects";
      continue;
    }
    if (node.backward)
      continue;
    if (readByRegion[i]) {
      node.policy = planner::Policy::Save;
    } else if (segment[i] != kNoSegment && !leavesRegion[i]) {
      if (node.recomputable) {
        node.policy = planner::Policy::Recompute;
        continue;
      }
      Operation *op = problem.members[i].back();
      op->emitWarning() << pass << ": '" << op->getName()
                        << "' in checkpoint region " << segment[i]
                        << " cannot be recomputed (it has memory effects); "
                           "its result is kept";
    }
  }
  return success();
}

LogicalResult readPolicies(const TrainingGraph &graph,
                           PlanningProblem &problem, unsigned segments,
                           StringRef pass) {
  PolicyReader reader(graph, problem, pass);
  if (failed(reader.readAttributes(segments > 0)))
    return failure();
  if (segments > 0)
    reader.splitSequentially(segments);
  return reader.assign();
}

} // namespace remat
