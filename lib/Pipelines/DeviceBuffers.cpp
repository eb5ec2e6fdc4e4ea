//===- DeviceBuffers.cpp - the step's buffers live on the GPU -------------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATDEVICEBUFFERS
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// gpu-to-llvm lowers only the asynchronous forms: each allocation and free
/// gets a stream of its own (`gpu.wait async`) and is waited for right away,
/// so the buffer exists, or is gone, exactly where the host op was.
static Value createStream(IRRewriter &rewriter, Location loc) {
  auto tokenType = gpu::AsyncTokenType::get(rewriter.getContext());
  return gpu::WaitOp::create(rewriter, loc, tokenType, ValueRange())
      .getAsyncToken();
}

static void replaceAlloc(IRRewriter &rewriter, memref::AllocOp alloc) {
  Location loc = alloc.getLoc();
  auto tokenType = gpu::AsyncTokenType::get(rewriter.getContext());
  Value stream = createStream(rewriter, loc);
  auto device = gpu::AllocOp::create(
      rewriter, loc, alloc.getType(), tokenType, ValueRange{stream},
      alloc.getDynamicSizes(), alloc.getSymbolOperands(), /*hostShared=*/false);
  gpu::WaitOp::create(rewriter, loc, Type(), device.getAsyncToken());
  rewriter.replaceOp(alloc, device.getMemref());
}

static void replaceDealloc(IRRewriter &rewriter, memref::DeallocOp dealloc) {
  Location loc = dealloc.getLoc();
  auto tokenType = gpu::AsyncTokenType::get(rewriter.getContext());
  Value stream = createStream(rewriter, loc);
  auto free = gpu::DeallocOp::create(rewriter, loc, tokenType,
                                     ValueRange{stream}, dealloc.getMemref());
  gpu::WaitOp::create(rewriter, loc, Type(), free.getAsyncToken());
  rewriter.eraseOp(dealloc);
}

/// A copy bufferization inserts (an out-of-place write) runs on the device:
/// the host must not touch device memory.
static void replaceCopy(IRRewriter &rewriter, memref::CopyOp copy) {
  Location loc = copy.getLoc();
  auto tokenType = gpu::AsyncTokenType::get(rewriter.getContext());
  Value stream = createStream(rewriter, loc);
  auto device = gpu::MemcpyOp::create(rewriter, loc, tokenType,
                                      ValueRange{stream}, copy.getTarget(),
                                      copy.getSource());
  gpu::WaitOp::create(rewriter, loc, Type(), device.getAsyncToken());
  rewriter.eraseOp(copy);
}

struct DeviceBuffers : public impl::RematDeviceBuffersBase<DeviceBuffers> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](Operation *op) {
      rewriter.setInsertionPoint(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        replaceAlloc(rewriter, alloc);
      else if (auto dealloc = dyn_cast<memref::DeallocOp>(op))
        replaceDealloc(rewriter, dealloc);
      else if (auto copy = dyn_cast<memref::CopyOp>(op))
        replaceCopy(rewriter, copy);
    });
  }
};
} // namespace

} // namespace remat
