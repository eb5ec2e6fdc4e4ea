//===- MemorySimulator.cpp - Live bytes over program order ----------------===//

#include "remat/Analysis/MemorySimulator.h"

#include "remat/Analysis/CostModel.h"
#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace remat {

bool isViewLikeTensorOp(Operation *op) {
  // Bufferization decides it, through the op's BufferizableOpInterface model
  // (registered with the dialects): a non-destination op whose one tensor
  // result neither allocates nor writes, and aliases its first operand.
  auto bufferizable = dyn_cast<bufferization::BufferizableOpInterface>(op);
  if (!bufferizable || isa<DestinationStyleOpInterface>(op) ||
      op->getNumResults() != 1 || op->getNumOperands() == 0 ||
      !isa<TensorType>(op->getResult(0).getType()) ||
      !isa<TensorType>(op->getOperand(0).getType()))
    return false;
  OpResult result = op->getResult(0);
  if (bufferizable.bufferizesToAllocation(result))
    return false;
  bufferization::BufferizationOptions options;
  bufferization::AnalysisState state(options);
  OpOperand &source = op->getOpOperand(0);
  if (bufferizable.bufferizesToMemoryWrite(source, state))
    return false;
  return llvm::any_of(bufferizable.getAliasingOpOperands(result, state),
                      [&](const bufferization::AliasingOpOperand &alias) {
                        return alias.opOperand == &source;
                      });
}

/// `a + b` for non-negative byte counts, saturating at INT64_MAX.
static int64_t addBytes(int64_t a, int64_t b) {
  int64_t sum;
  return llvm::AddOverflow(a, b, sum) ? std::numeric_limits<int64_t>::max()
                                      : sum;
}

static bool isEmptyTensor(Value value) {
  return isa_and_nonnull<tensor::EmptyOp>(value.getDefiningOp());
}

bool Buffer::isScratch() const {
  return kind == Kind::Allocation && values.size() == 1 && start == end &&
         isEmptyTensor(values.front());
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
      reportUnsized(arg.getLoc(), "argument #" + Twine(arg.getArgNumber()),
                    arg.getType());
      continue;
    }
    unsigned id = newBuffer(Buffer::Kind::Argument, arg, 0);
    argumentBytes = addBytes(argumentBytes, buffers[id].bytes);
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

void MemorySimulator::reportUnsized(Location loc, const Twine &what,
                                    Type type) {
  ++unsizedValues;
  const char *why = isTooLargeToSize(type)
                        ? "is too large to size (its bytes overflow int64)"
                        : "has no static shape";
  findings.push_back({Finding::Kind::Warning, loc,
                      (what + " of type '" + llvm::formatv("{0}", type) +
                       "' " + why +
                       ": remat cannot size it and counts it as 0 bytes")
                          .str()});
}

void MemorySimulator::assignResultBuffer(Operation *op, unsigned step,
                                         OpResult result) {
  if (!getStaticBytes(result.getType())) {
    reportUnsized(op->getLoc(), "result #" + Twine(result.getResultNumber()),
                  result.getType());
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
    // An empty tensor has no contents: its buffer is the one its first
    // writer writes; a later writer into the same (shared, e.g. by CSE)
    // empty tensor gets a new buffer, with nothing to copy.
    bool written = it != bufferOf.end() && isEmptyTensor(init) &&
                   buffers[it->second].values.size() > 1;
    if (it != bufferOf.end() && !written) {
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
    bool empty = isEmptyTensor(root);
    if (empty) {
      // An empty tensor nobody uses allocates nothing.
      auto first = firstUseOf.find(root);
      if (first == firstUseOf.end())
        buffer.bytes = 0;
      else
        buffer.start = first->second;
    }
    // Later uses of an empty tensor read no contents of this buffer (they
    // write buffers of their own, see assignResultBuffer): only the first
    // use and the values written into it keep it alive.
    for (Value value : buffer.values)
      buffer.end = std::max(buffer.end, empty && value == root
                                            ? firstUseOf.lookup(value)
                                            : lastUseOf.lookup(value));
    buffer.end = std::max(buffer.end, buffer.start);
  }
  freeTogether();
}

void MemorySimulator::freeTogether() {
  // The buffers one op writes (the results of a multi-result op) are one
  // node of the planning problem; the lowering frees them together after
  // the last use of any (remat-free-together).
  llvm::EquivalenceClasses<unsigned> together;
  for (Operation *op : steps) {
    std::optional<unsigned> first;
    for (Value result : op->getResults()) {
      auto it = bufferOf.find(result);
      if (it == bufferOf.end() ||
          buffers[it->second].kind != Buffer::Kind::Allocation)
        continue;
      if (!first)
        first = together.getOrInsertLeaderValue(it->second);
      else
        together.unionSets(*first, it->second);
    }
  }
  for (auto it = together.begin(); it != together.end(); ++it) {
    if (!(*it)->isLeader())
      continue;
    unsigned end = 0;
    for (auto member = together.member_begin(**it);
         member != together.member_end(); ++member)
      end = std::max(end, buffers[*member].end);
    for (auto member = together.member_begin(**it);
         member != together.member_end(); ++member)
      buffers[*member].end = end;
  }
}

void MemorySimulator::computeTimeline() {
  // Buffers start and end in order; sizes are below 2^63 each, and live bytes
  // saturate rather than wrap when a step holds more than int64 can count.
  SmallVector<std::pair<unsigned, int64_t>> starts, ends;
  for (const Buffer &buffer : buffers) {
    if (!buffer.counts())
      continue;
    starts.push_back({buffer.start, buffer.bytes});
    ends.push_back({buffer.end, buffer.bytes});
  }
  llvm::sort(starts);
  llvm::sort(ends);
  auto nextStart = starts.begin(), nextEnd = ends.begin();
  int64_t live = 0;
  for (unsigned step = 0; step < steps.size(); ++step) {
    for (; nextStart != starts.end() && nextStart->first == step; ++nextStart)
      live = addBytes(live, nextStart->second);
    if (step > 0)
      for (; nextEnd != ends.end() && nextEnd->first == step - 1; ++nextEnd)
        live -= std::min(live, nextEnd->second);
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
