//===- FreeTogether.cpp - free the buffers of one op together -------------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/EquivalenceClasses.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATFREETOGETHER
#include "remat/Pipelines/Passes.h.inc"

namespace {

/// The allocation `value` is a view of, or null.
static memref::AllocOp getRootAlloc(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def))
      return alloc;
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return nullptr;
    value = view.getViewSource();
  }
  return nullptr;
}

struct FreeTogether : public impl::RematFreeTogetherBase<FreeTogether> {
  void runOnOperation() override {
    for (Block &block : getOperation().getBody())
      runOnBlock(block);
  }

  void runOnBlock(Block &block) {
    // Allocations that one op writes, united.
    llvm::EquivalenceClasses<Operation *> together;
    for (Operation &op : block) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(&op);
      if (!dps || !dps.hasPureBufferSemantics() || dps.getNumDpsInits() < 2)
        continue;
      Operation *first = nullptr;
      for (Value init : dps.getDpsInits()) {
        memref::AllocOp alloc = getRootAlloc(init);
        if (!alloc || alloc->getBlock() != &block)
          continue;
        if (!first)
          first = together.getOrInsertLeaderValue(alloc);
        else
          together.unionSets(first, alloc);
      }
    }
    DenseMap<Operation *, memref::DeallocOp> deallocOf;
    for (auto dealloc : block.getOps<memref::DeallocOp>())
      if (memref::AllocOp alloc = getRootAlloc(dealloc.getMemref()))
        deallocOf[alloc] = dealloc;
    for (auto it = together.begin(); it != together.end(); ++it) {
      if (!(*it)->isLeader())
        continue;
      SmallVector<memref::DeallocOp> deallocs;
      for (auto member = together.member_begin(**it);
           member != together.member_end(); ++member)
        if (memref::DeallocOp dealloc = deallocOf.lookup(*member))
          deallocs.push_back(dealloc);
      if (deallocs.size() < 2)
        continue;
      memref::DeallocOp last = deallocs.front();
      for (memref::DeallocOp dealloc : deallocs)
        if (last->isBeforeInBlock(dealloc))
          last = dealloc;
      for (memref::DeallocOp dealloc : deallocs)
        if (dealloc != last)
          dealloc->moveBefore(last);
    }
  }
};

} // namespace
} // namespace remat
