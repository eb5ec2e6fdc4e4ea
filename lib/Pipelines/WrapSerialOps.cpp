//===- WrapSerialOps.cpp - serial linalg ops run in a one-thread kernel ---===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATWRAPSERIALOPS
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// Moves `op` into the body of a new one-iteration scf.parallel.
static void wrapInParallel(IRRewriter &rewriter, linalg::LinalgOp op) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto parallel = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                          ValueRange{one}, ValueRange{one});
  op->moveBefore(parallel.getBody()->getTerminator());
}

struct WrapSerialOps : public impl::RematWrapSerialOpsBase<WrapSerialOps> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> serial;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && op.getNumParallelLoops() == 0 &&
          !op->getParentOfType<scf::ParallelOp>())
        serial.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : serial)
      wrapInParallel(rewriter, op);
  }
};
} // namespace

} // namespace remat
