//===- ApproximateMath.cpp - f32 transcendentals as polynomials -----------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATAPPROXIMATEMATH
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// The activations and losses of training steps. Not erf: an exact GELU
/// keeps libm's erff (test/Execution/cpu-erf.mlir holds it to float64).
static bool isApproximated(StringRef name) {
  name.consume_front("math.");
  return llvm::is_contained({"tanh", "exp", "expm1", "log", "log1p", "log2"},
                            name);
}

struct ApproximateMath
    : public impl::RematApproximateMathBase<ApproximateMath> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, isApproximated);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

} // namespace remat
