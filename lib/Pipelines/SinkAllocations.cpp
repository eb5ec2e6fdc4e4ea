//===- SinkAllocations.cpp - allocate right before the first writer -------===//

#include "remat/Pipelines/Passes.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATSINKALLOCATIONS
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// The first op of `alloc`'s block that uses it (directly or from a nested
/// region), or null.
static Operation *firstUserInBlock(memref::AllocOp alloc) {
  Block *block = alloc->getBlock();
  Operation *first = nullptr;
  for (Operation *user : alloc->getUsers()) {
    Operation *inBlock = block->findAncestorOpInBlock(*user);
    if (inBlock && (!first || inBlock->isBeforeInBlock(first)))
      first = inBlock;
  }
  return first;
}

struct SinkAllocations
    : public impl::RematSinkAllocationsBase<SinkAllocations> {
  void runOnOperation() override {
    SmallVector<memref::AllocOp> allocs;
    getOperation().walk([&](memref::AllocOp alloc) {
      // Dynamic sizes would have to move along; the steps have static shapes.
      if (alloc->getNumOperands() == 0)
        allocs.push_back(alloc);
    });
    for (memref::AllocOp alloc : allocs)
      if (Operation *first = firstUserInBlock(alloc))
        alloc->moveBefore(first);
  }
};
} // namespace

} // namespace remat
