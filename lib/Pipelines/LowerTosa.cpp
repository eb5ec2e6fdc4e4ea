//===- LowerTosa.cpp - TOSA to linalg, on functions that hold TOSA -------===//
//
// remat-lower-tosa runs upstream's TOSA lowering on the functions that hold
// TOSA ops and leaves any other exactly as it is: upstream's passes change
// ops that are not theirs (tosa-to-tensor's conversion folds a linalg.index
// of a unit dimension; the greedy driver of tosa-to-arith and
// tosa-optional-decompositions folds and erases whatever it visits), and
// before planning that changed the buffers of steps without a TOSA op
// (tiny_unet's lowered peak fell 48 bytes below the memory model's). Those
// two greedy steps are replaced here by their patterns applied to the TOSA
// ops they are for, and to what those become, folding nothing.
//
//===----------------------------------------------------------------------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATLOWERTOSA
#define GEN_PASS_DEF_REMATDECOMPOSETOSA
#define GEN_PASS_DEF_REMATTOSATOARITH
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

struct DecomposeTosa : public impl::RematDecomposeTosaBase<DecomposeTosa> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    tosa::populateTosaDecomposeTransposeConv(&getContext(), patterns);
    tosa::populateTosaDecomposeDepthwise(&getContext(), patterns);
    if (failed(applyToOps<tosa::TransposeConv2DOp, tosa::DepthwiseConv2DOp>(
            getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

struct TosaToArith : public impl::RematTosaToArithBase<TosaToArith> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    tosa::populateTosaToArithConversionPatterns(&patterns);
    // 64-bit intermediates, as upstream's default.
    tosa::populateTosaRescaleToArithConversionPatterns(&patterns,
                                                       /*include32Bit=*/false);
    if (failed(applyToOps<tosa::ConstOp, tosa::ApplyScaleOp>(
            getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

struct LowerTosa : public impl::RematLowerTosaBase<LowerTosa> {
  LowerTosa() {
    // Named ops (convolutions, pooling, matmul) first, as upstream orders
    // them; then the elementwise and reduction ops, constants (apply_scale
    // too, which the elementwise lowering of tosa.rescale leaves), reshapes
    // and slices, control flow.
    steps.addPass(createRematDecomposeTosa());
    steps.addPass(tosa::createTosaToLinalgNamed());
    steps.addPass(tosa::createTosaToLinalg());
    steps.addPass(createRematTosaToArith());
    steps.addPass(createTosaToTensorPass());
    steps.addPass(createTosaToSCFPass());
  }
  LowerTosa(const LowerTosa &) : LowerTosa() {}

  void getDependentDialects(DialectRegistry &registry) const override {
    steps.getDependentDialects(registry);
  }

  void runOnOperation() override {
    auto isTosa = [](Operation *op) {
      return isa_and_nonnull<tosa::TosaDialect>(op->getDialect());
    };
    if (!getOperation()->walk([&](Operation *op) {
          return isTosa(op) ? WalkResult::interrupt() : WalkResult::advance();
        }).wasInterrupted())
      return;
    if (failed(runPipeline(steps, getOperation())))
      signalPassFailure();
  }

  OpPassManager steps{func::FuncOp::getOperationName()};
};

} // namespace
} // namespace remat
