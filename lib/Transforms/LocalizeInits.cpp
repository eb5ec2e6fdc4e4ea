//===- LocalizeInits.cpp - One fresh destination per writer ---------------===//

#include "remat/Transforms/LocalizeInits.h"

#include "remat/Analysis/MemorySimulator.h"
#include "remat/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATLOCALIZEINITS
#include "remat/Transforms/Passes.h.inc"

/// Whether `value` is computed by no op of `block`: an argument, a constant,
/// or a value defined outside the block.
static bool isUncomputed(Value value, Block &block) {
  Operation *def = value.getDefiningOp();
  return !def || def->getBlock() != &block ||
         def->hasTrait<OpTrait::ConstantLike>();
}

/// The ops that make a fresh destination, `value` last: a `tensor.empty`,
/// then ops that fill it from uncomputed values only (a fill of a scalar, a
/// broadcast of a bias argument) or reshape it (an expand_shape). Empty when
/// `value` is no fresh destination. A copy of such a chain next to its writer
/// repeats only work the unshared program did and keeps no computed value
/// alive longer.
static SmallVector<Operation *, 2> getFreshChain(Value value, Block &block) {
  SmallVector<Operation *, 2> chain;
  // A few links at most: empty, fill or broadcast, reshapes.
  constexpr unsigned kMaxLinks = 8;
  while (chain.size() < kMaxLinks) {
    Operation *def = value.getDefiningOp();
    if (!def || def->getBlock() != &block || def->getNumResults() != 1)
      return {};
    chain.push_back(def);
    if (isa<tensor::EmptyOp>(def)) {
      std::reverse(chain.begin(), chain.end());
      return chain;
    }
    auto uncomputed = [&](Value operand) {
      return isUncomputed(operand, block);
    };
    if (isViewLikeTensorOp(def)) {
      if (!llvm::all_of(def->getOperands().drop_front(), uncomputed))
        return {};
      value = def->getOperand(0);
      continue;
    }
    auto dps = dyn_cast<DestinationStyleOpInterface>(def);
    if (!dps || !dps.hasPureTensorSemantics() || dps.getNumDpsInits() != 1 ||
        !isMemoryEffectFree(def) ||
        !llvm::all_of(dps.getDpsInputs(), uncomputed))
      return {};
    value = dps.getDpsInits()[0];
  }
  return {};
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
      SmallVector<Operation *, 2> chain = getFreshChain(init.get(), block);
      if (chain.empty() || isLocal(chain, &op))
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
