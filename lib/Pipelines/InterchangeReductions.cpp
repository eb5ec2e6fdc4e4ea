//===- InterchangeReductions.cpp - a parallel loop inside reductions ------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATINTERCHANGEREDUCTIONS
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// The loop order that moves the last parallel loop of `op` innermost and
/// keeps every other loop's relative order; empty when the innermost loop is
/// parallel already or there is no parallel loop.
static SmallVector<unsigned> parallelLoopInside(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.empty() || linalg::isParallelIterator(iterators.back()))
    return {};
  auto last = llvm::find_if(llvm::reverse(iterators), linalg::isParallelIterator);
  if (last == iterators.rend())
    return {};
  unsigned moved = std::distance(last, iterators.rend()) - 1;
  SmallVector<unsigned> order;
  for (unsigned loop = 0; loop < iterators.size(); ++loop)
    if (loop != moved)
      order.push_back(loop);
  order.push_back(moved);
  return order;
}

struct InterchangeReductions
    : public impl::RematInterchangeReductionsBase<InterchangeReductions> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && !parallelLoopInside(op).empty())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<unsigned> order = parallelLoopInside(op);
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> generalized =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(generalized))
          continue; // No region builder: its loops stay as they are.
        generic = *generalized;
      }
      if (failed(linalg::interchangeGenericOp(rewriter, generic, order))) {
        generic.emitOpError("remat-interchange-reductions: interchange failed");
        return signalPassFailure();
      }
    }
  }
};
} // namespace

} // namespace remat
