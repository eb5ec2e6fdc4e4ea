//===- PlanningProblem.cpp - A function as the planner sees it ------------===//

#include "remat/Analysis/PlanningProblem.h"

#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
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
  /// See findInterleavedBackwardBuffers.
  llvm::DenseSet<const Buffer *> interleaved;
  /// The node whose step allocates each buffer.
  DenseMap<const Buffer *, int> ownerOf;
  PlanningProblem result;
};

} // namespace

/// Buffers whose backward writers interleave with other nodes: stacked
/// gradients that insert_slice fills layer by layer as the backward pass
/// reaches each layer. One node for all their writers would sit at the last
/// one, holding every slice's operand until then while the buffer itself
/// appears only there; the memory model allocates it at its first writer and
/// frees each slice's operand after its insert. So each such writer is a node
/// of its own, the first one owns the buffer's bytes (fillNodes), and every
/// reader of the buffer reads its owner too. Backward writers are never
/// recomputed, so splitting them changes no recomputation.
static llvm::DenseSet<const Buffer *>
findInterleavedBackwardBuffers(const TrainingGraph &graph,
                               const MemorySimulator &sim) {
  DenseMap<const Buffer *, SmallVector<unsigned>> writerSteps;
  SmallVector<unsigned> nodeSteps; // Steps of ops that make nodes.
  for (auto [step, op] : llvm::enumerate(sim.getSteps())) {
    if (isFreeOp(op) || op->hasTrait<OpTrait::IsTerminator>())
      continue;
    nodeSteps.push_back(step);
    for (Value result : op->getResults())
      if (const Buffer *buffer = sim.getBuffer(result))
        if (buffer->kind == Buffer::Kind::Allocation)
          writerSteps[buffer].push_back(step);
  }
  llvm::DenseSet<const Buffer *> interleaved;
  for (auto &[buffer, steps] : writerSteps) {
    if (steps.size() < 2 || !llvm::all_of(steps, [&](unsigned step) {
          return graph.isBackward(sim.getSteps()[step]);
        }))
      continue;
    // Writers are in program order; any other node between two of them?
    auto first = llvm::lower_bound(nodeSteps, steps.front());
    auto last = llvm::upper_bound(nodeSteps, steps.back());
    if (size_t(last - first) > steps.size())
      interleaved.insert(buffer);
  }
  return interleaved;
}

void Extractor::groupWriters() {
  interleaved = findInterleavedBackwardBuffers(graph, sim);
  // The first non-free op seen writing each buffer; later writers join it.
  DenseMap<const Buffer *, Operation *> firstWriter;
  for (Operation *op : sim.getSteps()) {
    if (isFreeOp(op) || op->hasTrait<OpTrait::IsTerminator>())
      continue;
    groups.insert(op);
    for (Value result : op->getResults()) {
      const Buffer *buffer = sim.getBuffer(result);
      if (!buffer || buffer->kind != Buffer::Kind::Allocation ||
          interleaved.contains(buffer))
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
  // Per node, the owners of the split buffers its multi-result ops write in
  // place beside their other results: the lowering frees an op's results
  // together (MemorySimulator::freeTogether, remat-free-together), so such a
  // buffer lives as long as this node's value, and every reader of the node
  // reads the owner too. (A max's unused values, written into a fill that
  // another node's fill separates from the max, outlived their owner's
  // last reader by 12 bytes in the rewritten step.)
  std::vector<SmallVector<int, 1>> heldOwners(result.members.size());
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
              ownerOf.try_emplace(buffer, index).second)
            node.bytes += buffer->bytes;
      for (Value value : getReadValues(op)) {
        const Buffer *buffer = sim.getBuffer(value);
        if (buffer && buffer->isScratch() && sized.insert(buffer).second)
          node.transientBytes += buffer->bytes;
        int producer = result.getProducerNode(value);
        if (producer >= 0 && producer != int(index)) {
          inputs.insert(producer);
          for (int owner : heldOwners[producer])
            if (owner != int(index))
              inputs.insert(owner);
        }
        // A split buffer lives as long as its owner node's value.
        if (buffer && interleaved.contains(buffer)) {
          int owner = ownerOf.lookup(buffer);
          if (owner != int(index))
            inputs.insert(owner);
        }
      }
      for (Value value : op->getResults())
        if (const Buffer *buffer = sim.getBuffer(value))
          if (interleaved.contains(buffer)) {
            node.recomputable = false;
            int owner = ownerOf.lookup(buffer);
            if (op->getNumResults() > 1 && owner != int(index))
              heldOwners[index].push_back(owner);
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
      const SmallVector<Operation *, 2> &later = result.members[*inputs.rbegin()];
      // The reader: the member that reads the later node.
      Operation *reader = members.back();
      for (Operation *op : members)
        for (Value value : getReadValues(op))
          if (result.getProducerNode(value) == *inputs.rbegin())
            reader = op;
      result.error =
          "'" + reader->getName().getStringRef().str() +
          "' reads a buffer that is still being written in place after it; "
          "remat plans programs whose in-place writes are not interleaved "
          "with other readers: give the later writer a destination of its "
          "own (a linalg.copy of the value into a tensor.empty)";
      result.errorOp = reader;
      result.errorNoteOp = later.back();
      result.errorNote = "written in place here";
      return;
    }
  }
  Operation *terminator = sim.getSteps().back();
  for (Value value : terminator->getOperands()) {
    // A view the return copies is read by the copies' node (below), not
    // live after it.
    if (llvm::is_contained(sim.getReturnCopies(), value))
      continue;
    int producer = result.getProducerNode(value);
    if (producer >= 0)
      problem.nodes[producer].output = true;
    if (const Buffer *buffer = sim.getBuffer(value))
      if (interleaved.contains(buffer))
        problem.nodes[ownerOf.lookup(buffer)].output = true;
  }
  // What the return allocates after every node: the copies of returned views
  // (getReturnCopies), made while what they copy is live, then the clones of
  // returned arguments and constants (getReturnClones), made after the
  // step's other buffers are freed. Each a last node of the return itself,
  // run once like the backward, holding those bytes to the end.
  auto addReturnNode = [&](ArrayRef<Value> values) {
    if (values.empty())
      return;
    planner::Node node;
    node.name = terminator->getName().getStringRef().str();
    node.backward = true;
    node.recomputable = false;
    node.output = true;
    std::set<int> inputs;
    for (Value value : values) {
      node.bytes += getStaticBytes(value.getType()).value_or(0);
      if (int producer = result.getProducerNode(value); producer >= 0)
        inputs.insert(producer);
    }
    node.inputs.assign(inputs.begin(), inputs.end());
    result.nodeOf[terminator] = problem.nodes.size();
    result.members.push_back({terminator});
    problem.nodes.push_back(std::move(node));
  };
  addReturnNode(sim.getReturnCopies());
  addReturnNode(sim.getReturnClones());
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
  for (Operation *op : sim.getSteps()) {
    auto call = dyn_cast<CallOpInterface>(op);
    if (!call)
      continue;
    std::string callee = "its callee";
    if (auto symbol = dyn_cast_if_present<SymbolRefAttr>(
            call.getCallableForCallee()))
      callee = "@" + symbol.getLeafReference().str();
    result.error = "'" + op->getName().getStringRef().str() + "' calls " +
                   callee +
                   ", whose buffers and FLOPs remat cannot see (it plans one "
                   "function at a time); inline the call first (--inline)";
    result.errorOp = op;
    return std::move(result);
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
