//===- TrainingGraph.cpp - Forward, backward, stashed values --------------===//

#include "remat/Analysis/TrainingGraph.h"

#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace remat {

/// The ancestor of `op` that lives directly in `block`, or null.
static Operation *getTopLevelOp(Operation *op, Block *block) {
  return block->findAncestorOpInBlock(*op);
}

TrainingGraph::TrainingGraph(Operation *function) {
  auto fn = dyn_cast<FunctionOpInterface>(function);
  auto note = [&](const Twine &message) {
    findings.push_back(
        {Finding::Kind::Remark, function->getLoc(), message.str()});
  };
  if (!fn || fn.isExternal()) {
    note("not a training step: a declaration has no body; remat leaves it "
         "unchanged");
    return;
  }
  Region &body = fn.getFunctionBody();
  if (!body.hasOneBlock()) {
    note("not a training step: remat plans single-block functions only, "
         "this one has " +
         Twine(llvm::range_size(body.getBlocks())) +
         " blocks; remat leaves it unchanged");
    return;
  }
  for (Operation &op : body.front()) {
    ops.push_back(&op);
    // A recompute region's effect only keeps it apart from other ops.
    if (!op.hasTrait<OpTrait::IsTerminator>() && !isa<RecomputeOp>(op) &&
        !isMemoryEffectFree(&op))
      findings.push_back(
          {Finding::Kind::Remark, op.getLoc(),
           "'" + op.getName().getStringRef().str() +
               "' has memory effects: remat keeps it where it is and never "
               "recomputes it"});
  }

  Operation *terminator = body.front().getTerminator();
  if (!terminator || terminator->getNumOperands() == 0) {
    note("not a training step: the function returns nothing, so it has no "
         "loss; remat leaves it unchanged");
    return;
  }
  for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i) {
    if (fn.getResultAttr(i, kLossAttrName)) {
      lossIndex = i;
      break;
    }
  }
  markForward(terminator->getOperand(lossIndex));
  collectStashed();

  bool hasBackward = llvm::any_of(ops, [&](Operation *op) {
    return isBackward(op) && op->getNumResults() > 0;
  });
  if (!hasBackward) {
    note("not a training step: no op computes anything beyond the loss "
         "(result #" +
         Twine(lossIndex) +
         "), so there is no backward pass; remat leaves it unchanged");
    return;
  }
  trainingStep = true;
}

void TrainingGraph::markForward(Value loss) {
  Block *block = ops.front()->getBlock();
  SmallVector<Value> worklist{loss};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    Operation *def = value.getDefiningOp();
    if (!def)
      continue;
    def = getTopLevelOp(def, block);
    if (!def || !forward.insert(def).second)
      continue;
    // Values used inside the op's regions count as its operands too.
    def->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (!def->isAncestor(operand.getParentRegion()->getParentOp()))
          worklist.push_back(operand);
    });
  }
}

void TrainingGraph::collectStashed() {
  Block *block = ops.front()->getBlock();
  for (Operation *op : ops) {
    // Constants are static data, always at hand; only tensors are stashed.
    if (!forward.contains(op) || op->hasTrait<OpTrait::ConstantLike>())
      continue;
    for (Value result : op->getResults()) {
      if (!isa<TensorType>(result.getType()))
        continue;
      bool usedByBackward = llvm::any_of(result.getUsers(), [&](Operation *u) {
        Operation *user = getTopLevelOp(u, block);
        return user && isBackward(user);
      });
      if (usedByBackward)
        stashed.insert(result);
    }
  }
}

} // namespace remat
