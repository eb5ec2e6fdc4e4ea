//===- ApplyPlan.cpp - Rewrite a function after a plan --------------------===//

#include "remat/Transforms/ApplyPlan.h"

#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace remat {
namespace {

class PlanRewriter {
public:
  PlanRewriter(const PlanningProblem &problem) : problem(problem) {}

  void run(const planner::Plan &plan);

private:
  void emitRecompute(ArrayRef<int> nodes, int consumer);
  Operation *getInsertionPoint(ArrayRef<int> nodes, int consumer) const;
  void rewireOperands(Operation *op);
  Value getNewest(Value value, Operation *before);
  Value getOriginal(Value value) const;
  void eraseDeadFreeOps(Operation *terminator);

  const PlanningProblem &problem;
  /// The newest version of each value an op of the plan produced.
  IRMapping newest;
  /// The inverse: for each version made by the rewrite (a result of a
  /// remat.recompute, a view re-made on one), the value of the input IR it
  /// stands for.
  DenseMap<Value, Value> originals;
};

} // namespace

/// Values read by `op` or its regions, with the operand that reads each.
static SmallVector<OpOperand *> getReadOperands(Operation *op) {
  SmallVector<OpOperand *> operands;
  op->walk([&](Operation *nested) {
    for (OpOperand &operand : nested->getOpOperands())
      if (!op->isAncestor(operand.get().getParentRegion()->getParentOp()))
        operands.push_back(&operand);
  });
  return operands;
}

Value PlanRewriter::getNewest(Value value, Operation *before) {
  if (Value mapped = newest.lookupOrNull(value))
    return mapped;
  Operation *def = value.getDefiningOp();
  if (!def || !isFreeOp(def) || def->getNumOperands() == 0)
    return value;
  // A view of a value that was recomputed: view the new version instead.
  SmallVector<Value> operands;
  bool changed = false;
  for (Value operand : def->getOperands()) {
    operands.push_back(getNewest(operand, before));
    changed |= operands.back() != operand;
  }
  if (!changed)
    return value;
  OpBuilder builder(before);
  IRMapping mapping;
  mapping.map(def->getOperands(), operands);
  Operation *clone = builder.clone(*def, mapping);
  for (auto [original, made] : llvm::zip(def->getResults(), clone->getResults()))
    originals[made] = original;
  return clone->getResult(cast<OpResult>(value).getResultNumber());
}

/// An op that ran before being recomputed had its operands rewired to the
/// versions it read then; a recomputation of it reads the versions current
/// at its own place instead, found from the values they stand for.
Value PlanRewriter::getOriginal(Value value) const {
  auto it = originals.find(value);
  return it == originals.end() ? value : it->second;
}

void PlanRewriter::rewireOperands(Operation *op) {
  for (OpOperand *operand : getReadOperands(op)) {
    Value value = getNewest(operand->get(), op);
    if (value != operand->get())
      operand->set(value);
  }
}

/// Before the consumer's first op, where the plan runs the recomputation
/// (the consumer's buffer is not allocated yet), when every value the
/// recomputation reads from outside is defined there already; else before
/// the first op of the consumer that reads a recomputed value.
Operation *PlanRewriter::getInsertionPoint(ArrayRef<int> nodes,
                                           int consumer) const {
  llvm::SmallDenseSet<int> recomputed(nodes.begin(), nodes.end());
  const auto &members = problem.members[consumer];
  Operation *first = members.front();
  // The version the region would read, or for a free op (re-made inside
  // the region) the values it is made from.
  std::function<bool(Value)> definedBefore = [&](Value value) {
    if (Value mapped = newest.lookupOrNull(value))
      value = mapped;
    Operation *def = value.getDefiningOp();
    if (!def || def->getBlock() != first->getBlock() ||
        def->isBeforeInBlock(first))
      return true;
    return isFreeOp(def) && llvm::all_of(def->getOperands(), definedBefore);
  };
  bool fits = llvm::all_of(nodes, [&](int node) {
    return llvm::all_of(problem.members[node], [&](Operation *op) {
      return llvm::all_of(getReadOperands(op), [&](OpOperand *operand) {
        Value value = getOriginal(operand->get());
        return recomputed.contains(problem.getProducerNode(value)) ||
               definedBefore(value);
      });
    });
  });
  if (fits)
    return first;
  for (Operation *op : members)
    for (OpOperand *operand : getReadOperands(op))
      if (recomputed.contains(
              problem.getProducerNode(getOriginal(operand->get()))))
        return op;
  return members.back();
}

void PlanRewriter::emitRecompute(ArrayRef<int> nodes, int consumer) {
  Operation *insertionPoint = getInsertionPoint(nodes, consumer);
  // The body is built detached, so its arguments can grow as kept values
  // are found; the builder takes its context from the consumer.
  auto *body = new Block();
  OpBuilder inner(insertionPoint->getContext());
  inner.setInsertionPointToEnd(body);
  IRMapping local;
  SmallVector<Value> kept;
  DenseMap<Value, Value> keptArgs;

  // The value `value` stands for inside the region: a clone made there, a
  // free op re-made there, or a block argument for a kept value.
  std::function<Value(Value)> inside = [&](Value value) -> Value {
    if (Value mapped = local.lookupOrNull(value))
      return mapped;
    Operation *def = value.getDefiningOp();
    if (def && isFreeOp(def)) {
      for (Value operand : def->getOperands())
        inside(operand);
      Operation *clone = inner.clone(*def, local);
      return clone->getResult(cast<OpResult>(value).getResultNumber());
    }
    Value outside = getNewest(value, insertionPoint);
    auto [it, inserted] = keptArgs.try_emplace(outside, Value());
    if (inserted) {
      it->second = body->addArgument(outside.getType(), outside.getLoc());
      kept.push_back(outside);
    }
    local.map(value, it->second);
    return it->second;
  };

  SmallVector<Value> recomputedValues;
  for (int node : nodes) {
    for (Operation *op : problem.members[node]) {
      for (OpOperand *operand : getReadOperands(op)) {
        Value read = operand->get();
        Value value = inside(getOriginal(read));
        if (read != getOriginal(read))
          local.map(read, value);
      }
      inner.clone(*op, local);
      llvm::append_range(recomputedValues, op->getResults());
    }
  }
  SmallVector<Value> yielded;
  SmallVector<Type> types;
  for (Value value : recomputedValues) {
    yielded.push_back(local.lookup(value));
    types.push_back(value.getType());
  }
  YieldOp::create(inner, insertionPoint->getLoc(), yielded);

  OpBuilder outer(insertionPoint);
  OperationState state(insertionPoint->getLoc(),
                       RecomputeOp::getOperationName());
  state.addOperands(kept);
  state.addTypes(types);
  state.addRegion()->push_back(body);
  Operation *recompute = outer.create(state);
  for (auto [original, result] :
       llvm::zip(recomputedValues, recompute->getResults())) {
    newest.map(original, result);
    originals[result] = original;
  }
}

void PlanRewriter::run(const planner::Plan &plan) {
  SmallVector<int> pending;
  for (const planner::Step &step : plan.schedule) {
    if (step.recompute) {
      pending.push_back(step.node);
      continue;
    }
    if (!pending.empty()) {
      emitRecompute(pending, step.node);
      pending.clear();
    }
    for (Operation *op : problem.members[step.node])
      rewireOperands(op);
  }
  // Results are read by the terminator, after every step.
  Operation *terminator =
      problem.members.empty() ? nullptr
                              : problem.members.back().back()->getBlock()
                                    ->getTerminator();
  if (terminator)
    rewireOperands(terminator);
  eraseDeadFreeOps(terminator);
}

/// Views whose readers now read newer versions would still read the old
/// value where they stand, keeping its buffer alive for nothing; they, and
/// empty tensors and constants nobody reads any more, go.
void PlanRewriter::eraseDeadFreeOps(Operation *terminator) {
  if (!terminator)
    return;
  Block *block = terminator->getBlock();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*block)))
    if (isFreeOp(&op) && op.use_empty())
      op.erase();
}

void applyPlan(const PlanningProblem &problem, const planner::Plan &plan) {
  PlanRewriter(problem).run(plan);
}

} // namespace remat
