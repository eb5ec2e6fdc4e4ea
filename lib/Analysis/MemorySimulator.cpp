//===- MemorySimulator.cpp - Live bytes over program order ----------------===//

#include "remat/Analysis/MemorySimulator.h"

#include "remat/Analysis/CostModel.h"
#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace remat {

bool isViewLikeTensorOp(Operation *op) {
  return isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
             tensor::ExtractSliceOp, tensor::CastOp, tensor::ReshapeOp,
             tensor::BitcastOp>(op);
}

MemorySimulator::MemorySimulator(Operation *function) {
  auto fn = dyn_cast<FunctionOpInterface>(function);
  if (!fn || fn.isExternal() || !fn.getFunctionBody().hasOneBlock())
    return;
  Block &entry = fn.getFunctionBody().front();
  collectSteps(entry);
  if (steps.empty())
    return;
  computeUses();
  assignBuffers(entry);
  extendLiveRanges();
  computeTimeline();
}

void MemorySimulator::collectSteps(Block &block) {
  for (Operation &op : block) {
    // A region's yield only forwards values; it is no step of its own.
    if (isa<YieldOp>(op))
      continue;
    auto recompute = dyn_cast<RecomputeOp>(&op);
    if (!recompute) {
      steps.push_back(&op);
      continue;
    }
    Block &body = recompute.getBody().front();
    for (auto [arg, kept] : llvm::zip(body.getArguments(), recompute.getKept()))
      forwarded[arg] = kept;
    collectSteps(body);
    auto yield = cast<YieldOp>(body.getTerminator());
    for (auto [result, yielded] :
         llvm::zip(recompute.getResults(), yield.getValues()))
      forwarded[result] = yielded;
  }
}

Value MemorySimulator::resolve(Value value) const {
  while (Value next = forwarded.lookup(value))
    value = next;
  return value;
}

void MemorySimulator::computeUses() {
  for (auto [step, op] : llvm::enumerate(steps)) {
    // Values an op's regions capture are read by the op's step.
    op->walk([&, step = unsigned(step), op = op](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        if (op->isAncestor(operand.getParentRegion()->getParentOp()))
          continue;
        Value value = resolve(operand);
        firstUseOf.try_emplace(value, step);
        lastUseOf[value] = step;
      }
    });
  }
}

const Buffer *MemorySimulator::getBuffer(Value value) const {
  auto it = bufferOf.find(resolve(value));
  return it == bufferOf.end() ? nullptr : &buffers[it->second];
}

unsigned MemorySimulator::newBuffer(Buffer::Kind kind, Value value,
                                    unsigned start) {
  Buffer buffer;
  buffer.kind = kind;
  buffer.bytes = getStaticBytes(value.getType()).value_or(0);
  buffer.start = start;
  buffer.end = start;
  buffer.values.push_back(value);
  buffers.push_back(buffer);
  bufferOf[value] = buffers.size() - 1;
  return buffers.size() - 1;
}

void MemorySimulator::assignBuffers(Block &entry) {
  for (BlockArgument arg : entry.getArguments()) {
    if (!isa<TensorType>(arg.getType()))
      continue;
    if (!getStaticBytes(arg.getType())) {
      findings.push_back(
          {Finding::Kind::Warning, arg.getLoc(),
           ("argument #" + Twine(arg.getArgNumber()) + " of type '" +
            llvm::formatv("{0}", arg.getType()) +
            "' has no static shape: remat cannot size it and counts it as "
            "0 bytes")
               .str()});
      continue;
    }
    unsigned id = newBuffer(Buffer::Kind::Argument, arg, 0);
    argumentBytes += buffers[id].bytes;
  }
  for (auto [step, op] : llvm::enumerate(steps)) {
    bool reportedMemref = false;
    for (OpResult result : op->getResults()) {
      if (isa<BaseMemRefType>(result.getType()) && !reportedMemref) {
        findings.push_back(
            {Finding::Kind::Remark, op->getLoc(),
             "memref results are outside remat's memory model, which plans "
             "tensor programs before bufferization; their bytes are not "
             "counted"});
        reportedMemref = true;
      }
      if (isa<TensorType>(result.getType()))
        assignResultBuffer(op, step, result);
    }
  }
}

void MemorySimulator::assignResultBuffer(Operation *op, unsigned step,
                                         OpResult result) {
  if (!getStaticBytes(result.getType())) {
    findings.push_back(
        {Finding::Kind::Warning, op->getLoc(),
         ("result #" + Twine(result.getResultNumber()) + " of type '" +
          llvm::formatv("{0}", result.getType()) +
          "' has no static shape: remat cannot size it and counts it as 0 "
          "bytes")
             .str()});
    return;
  }
  if (isa<tensor::EmptyOp>(op)) {
    // Sized now, placed at its first writer in extendLiveRanges().
    newBuffer(Buffer::Kind::Allocation, result, step);
    return;
  }
  if (op->hasTrait<OpTrait::ConstantLike>()) {
    newBuffer(Buffer::Kind::Constant, result, step);
    return;
  }
  auto joinBuffer = [&](Value source) {
    auto it = bufferOf.find(source);
    if (it == bufferOf.end())
      return false;
    // Inserting may grow the map and invalidate `it`.
    unsigned id = it->second;
    bufferOf[result] = id;
    buffers[id].values.push_back(result);
    return true;
  };
  if (isViewLikeTensorOp(op) && joinBuffer(resolve(op->getOperand(0))))
    return;
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op)) {
    Value init = resolve(dps.getTiedOpOperand(result)->get());
    auto it = bufferOf.find(init);
    if (it != bufferOf.end()) {
      Buffer &dest = buffers[it->second];
      unsigned lastUse = 0;
      for (Value value : dest.values)
        lastUse = std::max(lastUse, lastUseOf.lookup(value));
      // In place unless a later step still reads the destination, or the
      // destination is not ours to overwrite.
      if (dest.kind == Buffer::Kind::Allocation && lastUse <= step &&
          joinBuffer(init))
        return;
    }
  }
  newBuffer(Buffer::Kind::Allocation, result, step);
}

void MemorySimulator::extendLiveRanges() {
  unsigned last = steps.size() - 1;
  for (Buffer &buffer : buffers) {
    if (buffer.kind == Buffer::Kind::Argument) {
      buffer.end = last;
      continue;
    }
    Value root = buffer.values.front();
    if (isa_and_nonnull<tensor::EmptyOp>(root.getDefiningOp())) {
      // An empty tensor nobody writes allocates nothing.
      auto first = firstUseOf.find(root);
      if (first == firstUseOf.end())
        buffer.bytes = 0;
      else
        buffer.start = first->second;
    }
    for (Value value : buffer.values)
      buffer.end = std::max(buffer.end, lastUseOf.lookup(value));
    buffer.end = std::max(buffer.end, buffer.start);
  }
}

void MemorySimulator::computeTimeline() {
  std::vector<int64_t> delta(steps.size() + 1, 0);
  for (const Buffer &buffer : buffers) {
    if (!buffer.counts())
      continue;
    delta[buffer.start] += buffer.bytes;
    delta[buffer.end + 1] -= buffer.bytes;
  }
  int64_t live = 0;
  for (unsigned step = 0; step < steps.size(); ++step) {
    live += delta[step];
    timeline.push_back(live);
    if (live > peakBytes) {
      peakBytes = live;
      peakStep = step;
    }
  }
}

SmallVector<const Buffer *> MemorySimulator::getLiveBuffers(unsigned step) const {
  SmallVector<const Buffer *> live;
  for (const Buffer &buffer : buffers)
    if (buffer.counts() && buffer.bytes > 0 && buffer.isLiveAt(step))
      live.push_back(&buffer);
  llvm::stable_sort(live, [](const Buffer *a, const Buffer *b) {
    return a->bytes > b->bytes;
  });
  return live;
}

} // namespace remat
