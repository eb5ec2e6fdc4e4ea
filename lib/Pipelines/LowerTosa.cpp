//===- LowerTosa.cpp - TOSA to linalg, on functions that hold TOSA -------===//
//
// remat-lower-tosa runs upstream's TOSA lowering on the functions that hold
// TOSA ops and leaves any other exactly as it is: upstream's passes change
// ops that are not theirs (tosa-to-tensor's conversion folds a linalg.index
// of a unit dimension; the greedy driver of tosa-to-arith and
// tosa-optional-decompositions folds and erases whatever it visits), and
// before planning that changed the buffers of steps without a TOSA op
// (tiny_unet's lowered peak fell 48 bytes below the memory model's). The
// two greedy steps are their patterns here, applied to the TOSA ops they are
// for and to what those become, folding nothing.
//
//===----------------------------------------------------------------------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATLOWERTOSA
#include "remat/Pipelines/Passes.h.inc"

namespace {

/// Applies `patterns` to the ops of `OpTys` in `fn` and to what they
/// rewrite into, without folding; fails where the driver does.
template <typename... OpTys>
static LogicalResult applyToOps(Operation *fn, RewritePatternSet &&patterns) {
  SmallVector<Operation *> ops;
  fn->walk([&](Operation *op) {
    if (isa<OpTys...>(op))
      ops.push_back(op);
  });
  if (ops.empty())
    return success();
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps)
      .enableFolding(false)
      .enableConstantCSE(false);
  return applyOpPatternsGreedily(ops, std::move(patterns), config);
}

struct LowerTosa : public impl::RematLowerTosaBase<LowerTosa> {
  LowerTosa() {
    // Named ops (convolutions, pooling, matmul) first, as upstream orders
    // them; then the elementwise and reduction ops.
    toLinalg.addPass(tosa::createTosaToLinalgNamed());
    toLinalg.addPass(tosa::createTosaToLinalg());
    // Reshapes and slices, control flow.
    toTensorAndScf.addPass(createTosaToTensorPass());
    toTensorAndScf.addPass(createTosaToSCFPass());
  }
  LowerTosa(const LowerTosa &) : LowerTosa() {}

  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect>();
    toLinalg.getDependentDialects(registry);
    toTensorAndScf.getDependentDialects(registry);
  }

  void runOnOperation() override {
    Operation *fn = getOperation();
    if (!fn->walk([](Operation *op) {
            return isa_and_nonnull<tosa::TosaDialect>(op->getDialect())
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          }).wasInterrupted())
      return;
    // Transposed convolutions have no direct lowering: upstream's patterns
    // decompose them (and 1x1 depthwise ones) into convolutions, reversals
    // and pads.
    RewritePatternSet decompositions(&getContext());
    tosa::populateTosaDecomposeTransposeConv(&getContext(), decompositions);
    tosa::populateTosaDecomposeDepthwise(&getContext(), decompositions);
    // Constants, and apply_scale, which the elementwise lowering of
    // tosa.rescale leaves (64-bit intermediates, as upstream's default).
    RewritePatternSet toArith(&getContext());
    tosa::populateTosaToArithConversionPatterns(&toArith);
    tosa::populateTosaRescaleToArithConversionPatterns(&toArith,
                                                       /*include32Bit=*/false);
    if (failed(applyToOps<tosa::TransposeConv2DOp, tosa::DepthwiseConv2DOp>(
            fn, std::move(decompositions))) ||
        failed(runPipeline(toLinalg, fn)) ||
        failed(applyToOps<tosa::ConstOp, tosa::ApplyScaleOp>(
            fn, std::move(toArith))) ||
        failed(runPipeline(toTensorAndScf, fn)))
      signalPassFailure();
  }

  OpPassManager toLinalg{func::FuncOp::getOperationName()};
  OpPassManager toTensorAndScf{func::FuncOp::getOperationName()};
};

} // namespace
} // namespace remat
