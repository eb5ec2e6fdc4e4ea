//===- RematCheckpoint.cpp - Fit a training step into a budget ------------===//

#include "remat/Transforms/Passes.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATCHECKPOINT
#include "remat/Transforms/Passes.h.inc"

namespace {

struct RematCheckpointPass
    : public impl::RematCheckpointBase<RematCheckpointPass> {
  using RematCheckpointBase::RematCheckpointBase;

  void runOnOperation() override {
    if (budget.empty())
      return;
    getOperation().emitError("remat-checkpoint: planning is being built");
    signalPassFailure();
  }
};

} // namespace
} // namespace remat
