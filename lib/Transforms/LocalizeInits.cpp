//===- LocalizeInits.cpp - One fresh destination per writer ---------------===//

#include "remat/Transforms/LocalizeInits.h"

#include "remat/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATLOCALIZEINITS
#include "remat/Transforms/Passes.h.inc"

/// The ops that make a fresh destination, `value` last: an empty tensor, or
/// a fill of a value defined elsewhere into one. Empty when `value` is no
/// fresh destination.
static SmallVector<Operation *, 2> getFreshChain(Value value) {
  Operation *def = value.getDefiningOp();
  if (isa_and_nonnull<tensor::EmptyOp>(def))
    return {def};
  auto fill = dyn_cast_or_null<linalg::FillOp>(def);
  if (!fill || !fill.hasPureTensorSemantics())
    return {};
  Operation *empty = fill.getOutputs()[0].getDefiningOp();
  if (!isa_and_nonnull<tensor::EmptyOp>(empty) ||
      fill->getBlock() != empty->getBlock())
    return {};
  return {empty, fill};
}

/// Whether `chain` already sits right before `user`, as its only reader.
static bool isLocal(ArrayRef<Operation *> chain, Operation *user) {
  Operation *next = user;
  for (Operation *op : llvm::reverse(chain)) {
    if (next->getPrevNode() != op || !op->hasOneUse())
      return false;
    next = op;
  }
  return true;
}

bool localizeInits(Block &block) {
  bool changed = false;
  // Each op once: a shared chain is cloned for several writers.
  llvm::SetVector<Operation *> maybeDead;
  for (Operation &op : block) {
    auto dps = dyn_cast<DestinationStyleOpInterface>(&op);
    if (!dps || !dps.hasPureTensorSemantics())
      continue;
    for (OpOperand &init : dps.getDpsInitsMutable()) {
      SmallVector<Operation *, 2> chain = getFreshChain(init.get());
      if (chain.empty() || chain.front()->getBlock() != &block ||
          isLocal(chain, &op))
        continue;
      OpBuilder builder(&op);
      IRMapping mapping;
      for (Operation *link : chain)
        builder.clone(*link, mapping);
      init.set(mapping.lookup(init.get()));
      maybeDead.insert_range(chain);
      changed = true;
    }
    // An empty tensor read as an input (a pooling window) is scratch memory
    // of its reader; shared, it would live from the first reader to the last.
    for (OpOperand *input : dps.getDpsInputOperands()) {
      Operation *empty = input->get().getDefiningOp();
      if (!isa_and_nonnull<tensor::EmptyOp>(empty) ||
          empty->getBlock() != &block || empty->hasOneUse())
        continue;
      input->set(OpBuilder(&op).clone(*empty)->getResult(0));
      maybeDead.insert(empty);
      changed = true;
    }
  }
  // Later links first: a fill goes before the empty tensor it fills.
  for (Operation *op : llvm::reverse(maybeDead))
    if (op->use_empty())
      op->erase();
  return changed;
}

namespace {

struct RematLocalizeInitsPass
    : public impl::RematLocalizeInitsBase<RematLocalizeInitsPass> {
  void runOnOperation() override {
    getOperation()->walk([](FunctionOpInterface fn) {
      for (Block &block : fn.getFunctionBody())
        localizeInits(block);
    });
  }
};

} // namespace
} // namespace remat
