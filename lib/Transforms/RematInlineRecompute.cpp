//===- RematInlineRecompute.cpp - Dissolve remat.recompute regions --------===//

#include "remat/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATINLINERECOMPUTE
#include "remat/Transforms/Passes.h.inc"

namespace {

/// Replaces `op` by the ops of its body: block arguments become the kept
/// values, results the yielded values.
static void inlineRecompute(RecomputeOp op, RewriterBase &rewriter) {
  Block &body = op.getBody().front();
  auto yield = cast<YieldOp>(body.getTerminator());
  // A yielded block argument dies with the block: yield its kept value.
  SmallVector<Value> yielded;
  for (Value value : yield.getValues()) {
    auto arg = dyn_cast<BlockArgument>(value);
    yielded.push_back(arg && arg.getOwner() == &body
                          ? op.getKept()[arg.getArgNumber()]
                          : value);
  }
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&body, op, op.getKept());
  rewriter.replaceOp(op, yielded);
}

/// Marks the ops of `op`'s body with the region's number: CSE compares
/// attributes, so the dissolved ops merge neither with the forward ops they
/// repeat nor with those of another region (RematOps.td).
static void markDissolvedOps(RecomputeOp op, int64_t number) {
  auto mark = IntegerAttr::get(IntegerType::get(op.getContext(), 64), number);
  for (Operation &nested : op.getBody().front().without_terminator())
    nested.setAttr(kRecomputedAttrName, mark);
}

struct RematInlineRecomputePass
    : public impl::RematInlineRecomputeBase<RematInlineRecomputePass> {
  void runOnOperation() override {
    SmallVector<RecomputeOp> ops;
    // Post-order: nested regions dissolve before the ones holding them.
    getOperation()->walk([&](RecomputeOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    // Numbered in walk order: unique in the module, so in every function.
    for (auto [number, op] : llvm::enumerate(ops)) {
      markDissolvedOps(op, number + 1);
      rewriter.setInsertionPoint(op);
      inlineRecompute(op, rewriter);
    }
    // Ops whose results nothing reads, and then the ops only they read, go:
    // a recomputation for a node the plan runs and then only recomputes
    // again, or that node's own run. The memory model counts none of them
    // (MemorySimulator, docs/memory-model.md); erasing them here, rather than
    // leaving it to LLVM, makes the lowered program allocate as it counts.
    (void)runRegionDCE(rewriter, getOperation()->getRegions());
  }
};

} // namespace
} // namespace remat
