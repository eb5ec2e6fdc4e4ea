//===- PlanningProblem.cpp - A function as the planner sees it ------------===//

#include "remat/Analysis/PlanningProblem.h"

#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/EquivalenceClasses.h"

using namespace mlir;

namespace remat {

bool isFreeOp(Operation *op) {
  return isa<tensor::EmptyOp>(op) || op->hasTrait<OpTrait::ConstantLike>() ||
         isViewLikeTensorOp(op);
}

int PlanningProblem::getProducerNode(Value value) const {
  while (Operation *def = value.getDefiningOp()) {
    if (isViewLikeTensorOp(def)) {
      value = def->getOperand(0);
      continue;
    }
    auto it = nodeOf.find(def);
    return it == nodeOf.end() ? -1 : it->second;
  }
  return -1;
}

/// Values read by `op` or by the ops of its regions, defined outside it.
static SmallVector<Value> getReadValues(Operation *op) {
  SmallVector<Value> values;
  op->walk([&](Operation *nested) {
    for (Value operand : nested->getOperands())
      if (!op->isAncestor(operand.getParentRegion()->getParentOp()))
        values.push_back(operand);
  });
  return values;
}

namespace {

/// Builds the problem in three passes over the steps: group the ops that
/// write one buffer, order the groups, then connect and size them.
class Extractor {
public:
  Extractor(const TrainingGraph &graph, const CostModel &costs,
            const MemorySimulator &sim)
      : graph(graph), costs(costs), sim(sim) {}

  PlanningProblem run();

private:
  void groupWriters();
  void orderNodes();
  void fillNodes();

  const TrainingGraph &graph;
  const CostModel &costs;
  const MemorySimulator &sim;
  llvm::EquivalenceClasses<Operation *> groups;
  PlanningProblem result;
};

} // namespace

void Extractor::groupWriters() {
  // The first non-free op seen writing each buffer; later writers join it.
  DenseMap<const Buffer *, Operation *> firstWriter;
  for (Operation *op : sim.getSteps()) {
    if (isFreeOp(op) || op->hasTrait<OpTrait::IsTerminator>())
      continue;
    groups.insert(op);
    for (Value result : op->getResults()) {
      const Buffer *buffer = sim.getBuffer(result);
      if (!buffer || buffer->kind != Buffer::Kind::Allocation)
        continue;
      auto [it, inserted] = firstWriter.try_emplace(buffer, op);
      if (!inserted)
        groups.unionSets(it->second, op);
    }
  }
}

void Extractor::orderNodes() {
  DenseMap<Operation *, unsigned> stepOf;
  for (auto [step, op] : llvm::enumerate(sim.getSteps()))
    stepOf[op] = step;
  // A node sits at its last op; nodes are numbered in that order.
  SmallVector<std::pair<unsigned, Operation *>> leaders;
  for (auto it = groups.begin(); it != groups.end(); ++it) {
    if (!(*it)->isLeader())
      continue;
    unsigned last = 0;
    for (auto member = groups.member_begin(**it); member != groups.member_end();
         ++member)
      last = std::max(last, stepOf[*member]);
    leaders.push_back({last, (*it)->getData()});
  }
  llvm::sort(leaders, [](auto &a, auto &b) { return a.first < b.first; });
  result.members.resize(leaders.size());
  result.problem.nodes.resize(leaders.size());
  for (auto [index, leader] : llvm::enumerate(leaders)) {
    for (auto member = groups.findLeader(leader.second);
         member != groups.member_end(); ++member) {
      result.members[index].push_back(*member);
      result.nodeOf[*member] = index;
    }
    llvm::sort(result.members[index], [&](Operation *a, Operation *b) {
      return stepOf[a] < stepOf[b];
    });
  }
}

void Extractor::fillNodes() {
  planner::Problem &problem = result.problem;
  problem.alwaysLiveBytes = sim.getArgumentBytes();
  for (auto [index, members] : llvm::enumerate(result.members)) {
    planner::Node &node = problem.nodes[index];
    llvm::SmallPtrSet<const Buffer *, 2> sized;
    std::set<int> inputs;
    for (Operation *op : members) {
      node.cost += costs.getFlops(op);
      node.backward |= graph.isBackward(op);
      node.recomputable &= isMemoryEffectFree(op);
      for (Value value : op->getResults())
        if (const Buffer *buffer = sim.getBuffer(value))
          if (buffer->kind == Buffer::Kind::Allocation &&
              sized.insert(buffer).second)
            node.bytes += buffer->bytes;
      for (Value value : getReadValues(op)) {
        if (const Buffer *buffer = sim.getBuffer(value))
          if (buffer->isScratch() && sized.insert(buffer).second)
            node.transientBytes += buffer->bytes;
        int producer = result.getProducerNode(value);
        if (producer >= 0 && producer != int(index))
          inputs.insert(producer);
      }
    }
    // A backward op computed from forward values only (directly, or
    // through other such ops) is a residual of the forward pass: JAX
    // computes 1 - tanh(h) beside the tanh, torch-mlir's GELU backward
    // derives a chain of terms from the forward pre-activation. It may be
    // recomputed from them like a forward value. Backward ops that read
    // anything else (a gradient, a value made from constants alone such as
    // the loss's seed) run once.
    if (node.backward &&
        (inputs.empty() || llvm::any_of(inputs, [&](int input) {
           return input >= int(index) ||
                  (problem.nodes[input].backward &&
                   !problem.nodes[input].recomputable);
         })))
      node.recomputable = false;
    node.inputs.assign(inputs.begin(), inputs.end());
    node.name = members.back()->getName().getStringRef().str();
    if (!inputs.empty() && *inputs.rbegin() > int(index)) {
      result.error = "'" + node.name +
                     "' reads a buffer that is still being written in place "
                     "after it; remat plans programs whose in-place writes "
                     "are not interleaved with other readers";
      return;
    }
  }
  Operation *terminator = sim.getSteps().back();
  for (Value value : terminator->getOperands()) {
    int producer = result.getProducerNode(value);
    if (producer >= 0)
      problem.nodes[producer].output = true;
  }
}

PlanningProblem Extractor::run() {
  if (sim.getSteps().empty() ||
      !sim.getSteps().back()->hasTrait<OpTrait::IsTerminator>()) {
    result.error = "the function has no body to plan";
    return std::move(result);
  }
  if (unsigned unsized = sim.getNumUnsizedValues()) {
    result.error = std::to_string(unsized) +
                   " tensor value(s) cannot be sized (dynamic shapes or sizes "
                   "overflowing int64, see the warnings); remat cannot plan "
                   "memory it cannot count";
    return std::move(result);
  }
  for (Operation *op : sim.getSteps()) {
    if (op->getParentOp() != sim.getSteps().back()->getParentOp()) {
      result.error = "the function holds remat.recompute regions already; "
                     "remat plans a step once";
      return std::move(result);
    }
  }
  if (!sim.getLoops().empty()) {
    result.error = "the step holds an scf.for; the planning problem models "
                   "each iteration's buffers only as the loop's own peak "
                   "(docs/memory-model.md, loops), so remat-checkpoint plans "
                   "loop-free steps only: unroll the loop to plan it";
    return std::move(result);
  }
  groupWriters();
  orderNodes();
  fillNodes();
  return std::move(result);
}

PlanningProblem extractPlanningProblem(const TrainingGraph &graph,
                                       const CostModel &costs,
                                       const MemorySimulator &sim) {
  return Extractor(graph, costs, sim).run();
}

} // namespace remat
