//===- TestAnalysisPasses.cpp - Print analyses into the IR for tests ------===//
//
// Each pass writes one analysis' results as attributes, so lit tests can
// FileCheck them next to the ops they describe.
//
//===----------------------------------------------------------------------===//

#include "remat/Transforms/Passes.h"

#include "remat/Analysis/CostModel.h"
#include "remat/Analysis/MemorySimulator.h"
#include "remat/Analysis/TrainingGraph.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATTESTTRAININGGRAPH
#define GEN_PASS_DEF_REMATTESTCOSTMODEL
#define GEN_PASS_DEF_REMATTESTMEMORYSIMULATOR
#include "remat/Transforms/Passes.h.inc"

namespace {

struct TestTrainingGraphPass
    : public impl::RematTestTrainingGraphBase<TestTrainingGraphPass> {
  void runOnOperation() override {
    const auto &graph = getAnalysis<TrainingGraph>();
    emitFindings(graph.getFindings());
    Builder builder(&getContext());
    for (Operation *op : graph.getOps()) {
      if (op->hasTrait<OpTrait::IsTerminator>())
        continue;
      op->setAttr("remat.phase", builder.getStringAttr(graph.isForward(op)
                                                           ? "forward"
                                                           : "backward"));
    }
    llvm::DenseMap<Operation *, SmallVector<int64_t>> stashedResults;
    for (Value value : graph.getStashed())
      stashedResults[value.getDefiningOp()].push_back(
          cast<OpResult>(value).getResultNumber());
    for (auto &[op, indices] : stashedResults)
      op->setAttr("remat.stashed", builder.getDenseI64ArrayAttr(indices));
  }
};

struct TestCostModelPass
    : public impl::RematTestCostModelBase<TestCostModelPass> {
  void runOnOperation() override {
    const auto &costs = getAnalysis<CostModel>();
    emitFindings(costs.getFindings());
    Builder builder(&getContext());
    for (Operation &op : getOperation().getFunctionBody().getOps()) {
      if (op.hasTrait<OpTrait::IsTerminator>())
        continue;
      SmallVector<int64_t> bytes;
      for (Value result : op.getResults())
        bytes.push_back(costs.getBytes(result));
      op.setAttr("remat.test.flops", builder.getI64IntegerAttr(costs.getFlops(&op)));
      op.setAttr("remat.test.bytes_moved",
                 builder.getI64IntegerAttr(costs.getBytesMoved(&op)));
      op.setAttr("remat.test.bytes", builder.getDenseI64ArrayAttr(bytes));
    }
  }
};

struct TestMemorySimulatorPass
    : public impl::RematTestMemorySimulatorBase<TestMemorySimulatorPass> {
  void runOnOperation() override {
    const auto &sim = getAnalysis<MemorySimulator>();
    emitFindings(sim.getFindings());
    Builder builder(&getContext());
    for (auto [op, live] : llvm::zip(sim.getSteps(), sim.getTimeline())) {
      op->setAttr("remat.test.live", builder.getI64IntegerAttr(live));
      SmallVector<int64_t> ids;
      for (Value result : op->getResults()) {
        const Buffer *buffer = sim.getBuffer(result);
        ids.push_back(buffer ? buffer - sim.getBuffers().data() : -1);
      }
      if (!ids.empty())
        op->setAttr("remat.test.buffer", builder.getDenseI64ArrayAttr(ids));
    }
    Operation *fn = getOperation();
    fn->setAttr("remat.test.peak", builder.getI64IntegerAttr(sim.getPeakBytes()));
    fn->setAttr("remat.test.peak_step",
                builder.getI64IntegerAttr(sim.getPeakStep()));
  }
};

} // namespace
} // namespace remat
