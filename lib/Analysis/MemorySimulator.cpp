//===- MemorySimulator.cpp - Live bytes over program order ----------------===//

#include "remat/Analysis/MemorySimulator.h"

#include "remat/Analysis/CostModel.h"
#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace remat {

static bool viewCopies(Operation *op);

/// Whether upstream's model calls `op` a view (its result aliases its
/// first operand, nothing written or allocated): before the layouts, which
/// can make bufferize() copy such an op after all (viewCopies).
static bool isUpstreamView(Operation *op) {
  // Bufferization decides it, through the op's BufferizableOpInterface model
  // (registered with the dialects): a non-destination op whose one tensor
  // result neither allocates nor writes, and aliases its first operand.
  // A call is no view: its results are the callee's. (Upstream's model of
  // func.call reads One-Shot Module Bufferize's function analysis, which a
  // plain AnalysisState lacks: asked here, it crashed.)
  if (isa<CallOpInterface>(op))
    return false;
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

bool isViewLikeTensorOp(Operation *op) {
  return isUpstreamView(op) && !viewCopies(op);
}

/// The layout bufferization gives `value`'s buffer: identity where a buffer
/// is made or passed in (remat's bufferization uses identity layouts at the
/// function boundary; a region's block argument is taken so too, though a
/// loop's may carry another), then what each view on the way applies,
/// through the memref ops' own type inference (subview, expand_shape,
/// collapse_shape: what the tensor views' bufferize() build). Null where a
/// view's layout is not static. Not bufferization::getBufferType: asked
/// outside One-Shot Bufferize's own analysis it crashed on exported steps
/// (in TensorLikeType::getBufferType, LLVM 22).
static MemRefType bufferLayout(Value value, int depth = 0) {
  // Static shapes of element types a memref can hold; a chain of views at
  // most 64 long.
  auto tensor = dyn_cast<RankedTensorType>(value.getType());
  if (!tensor || !tensor.hasStaticShape() || depth > 64 ||
      !BaseMemRefType::isValidElementType(tensor.getElementType()))
    return {};
  Operation *def = value.getDefiningOp();
  if (auto slice = dyn_cast_or_null<tensor::ExtractSliceOp>(def)) {
    MemRefType source = bufferLayout(slice.getSource(), depth + 1);
    if (!source || ShapedType::isDynamicShape(slice.getStaticOffsets()) ||
        ShapedType::isDynamicShape(slice.getStaticSizes()) ||
        ShapedType::isDynamicShape(slice.getStaticStrides()))
      return {};
    return memref::SubViewOp::inferRankReducedResultType(
        tensor.getShape(), source, slice.getStaticOffsets(),
        slice.getStaticSizes(), slice.getStaticStrides());
  }
  if (auto expand = dyn_cast_or_null<tensor::ExpandShapeOp>(def)) {
    MemRefType source = bufferLayout(expand.getSrc(), depth + 1);
    if (!source)
      return {};
    FailureOr<MemRefType> expanded = memref::ExpandShapeOp::computeExpandedType(
        source, tensor.getShape(), expand.getReassociationIndices());
    return succeeded(expanded) ? *expanded : MemRefType();
  }
  if (auto collapse = dyn_cast_or_null<tensor::CollapseShapeOp>(def)) {
    MemRefType source = bufferLayout(collapse.getSrc(), depth + 1);
    if (!source)
      return {};
    // Not collapsible: a copy, made with the identity layout.
    if (!memref::CollapseShapeOp::isGuaranteedCollapsible(
            source, collapse.getReassociationIndices()))
      return MemRefType::get(tensor.getShape(), tensor.getElementType());
    return memref::CollapseShapeOp::computeCollapsedType(
        source, collapse.getReassociationIndices());
  }
  // A reshape is a view of an identity layout, else a copy: either way the
  // result has the identity layout.
  if (def && isUpstreamView(def) && !isa<tensor::ReshapeOp>(def))
    return {};
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// Whether one-shot bufferization copies the source of a view it cannot
/// take in place. Upstream's model still calls these ops views (the result
/// aliases the source), but their bufferize() allocates and copies: a
/// collapse_shape when memref.collapse_shape cannot take the source's layout
/// (memref::CollapseShapeOp::isGuaranteedCollapsible: a slice whose merged
/// dims are not contiguous, `x[:, :4]` of a 4x6 merged into 16 elements),
/// a tensor.reshape when the layout is not the identity (memref.reshape
/// takes identity layouts only). A layout not known statically counts as
/// no copy, as before.
static bool viewCopies(Operation *op) {
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    MemRefType source = bufferLayout(collapse.getSrc());
    return source && !memref::CollapseShapeOp::isGuaranteedCollapsible(
                         source, collapse.getReassociationIndices());
  }
  if (auto reshape = dyn_cast<tensor::ReshapeOp>(op)) {
    MemRefType source = bufferLayout(reshape.getSource());
    return source && !source.getLayout().isIdentity();
  }
  return false;
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
  simulate(fn.getFunctionBody().front());
}

MemorySimulator::MemorySimulator(Block &loopBody, int64_t tripCount)
    : bodyTripCount(tripCount), isLoopBody(true) {
  simulate(loopBody);
}

void MemorySimulator::simulate(Block &block) {
  collectSteps(block);
  if (steps.empty())
    return;
  computeUses();
  assignBuffers(block);
  extendLiveRanges();
  if (isLoopBody)
    settleCarried(block);
  computeTimeline();
}

void MemorySimulator::settleCarried(Block &body) {
  // A carried value the body writes in place lives in the outer buffer,
  // counted outside; one it computes afresh holds, during an iteration, the
  // previous iteration's buffer (the first iteration's is the loop's initial
  // buffer, counted outside: a loop of one iteration holds no other).
  Operation *yield = body.getTerminator();
  for (auto [arg, yielded] :
       llvm::zip(body.getArguments().drop_front(), yield->getOperands())) {
    const Buffer *carried = getBuffer(arg);
    bool inPlace = carried && carried == getBuffer(yielded);
    carriedInPlace.push_back(inPlace);
    if (!carried)
      continue;
    Buffer &buffer = buffers[bufferOf.lookup(arg)];
    if (inPlace || (bodyTripCount >= 0 && bodyTripCount < 2))
      buffer.bytes = 0;
  }
}

/// The ops the lowering deletes, in `block` and in the remat.recompute
/// regions in it: no side effects and every use (if any) by such an op.
/// remat-inline-recompute dissolves the regions and erases these ops
/// (upstream region DCE), so they never hold a buffer nor keep an operand
/// alive. A region's ops are judged as if inlined: a value it yields is read
/// by the readers of the region's result, a kept value by the readers of the
/// block argument it enters as. (The region op itself has an effect of its
/// own, so that nothing merges or erases it before that pass.)
static llvm::SmallPtrSet<Operation *, 8> findDeadOps(Block &block) {
  llvm::SmallPtrSet<Operation *, 8> dead;
  // The ops in program order, regions' ops in their region's place.
  SmallVector<Operation *> order;
  std::function<void(Block &)> flatten = [&](Block &b) {
    for (Operation &op : b) {
      if (auto recompute = dyn_cast<RecomputeOp>(&op))
        flatten(recompute.getBody().front());
      else if (!isa<YieldOp>(op))
        order.push_back(&op);
    }
  };
  flatten(block);
  // The op of `order` a use belongs to (users nested in a linalg body).
  auto stepOf = [&](Operation *user) -> Operation * {
    while (user && user->getBlock() != &block &&
           !isa_and_nonnull<RecomputeOp>(user->getParentOp()))
      user = user->getParentOp();
    return user;
  };
  std::function<bool(Value)> unread = [&](Value value) {
    return llvm::all_of(value.getUses(), [&](OpOperand &use) {
      Operation *user = use.getOwner();
      if (isa<YieldOp>(user))
        if (auto recompute = dyn_cast<RecomputeOp>(user->getParentOp()))
          return unread(recompute->getResult(use.getOperandNumber()));
      if (auto recompute = dyn_cast<RecomputeOp>(user))
        return unread(
            recompute.getBody().front().getArgument(use.getOperandNumber()));
      Operation *step = stepOf(user);
      return step && dead.contains(step);
    });
  };
  for (Operation *op : llvm::reverse(order))
    if (wouldOpBeTriviallyDead(op) &&
        llvm::all_of(op->getResults(), unread))
      dead.insert(op);
  return dead;
}

void MemorySimulator::collectSteps(Block &block) {
  llvm::SmallPtrSet<Operation *, 8> dead = findDeadOps(block);
  collectSteps(block, dead);
}

void MemorySimulator::collectSteps(
    Block &block, const llvm::SmallPtrSet<Operation *, 8> &dead) {
  for (Operation &op : block) {
    // A region's yield only forwards values; it is no step of its own.
    if (isa<YieldOp>(op))
      continue;
    if (dead.contains(&op))
      continue;
    auto recompute = dyn_cast<RecomputeOp>(&op);
    if (!recompute) {
      steps.push_back(&op);
      continue;
    }
    Block &body = recompute.getBody().front();
    for (auto [arg, kept] : llvm::zip(body.getArguments(), recompute.getKept()))
      forwarded[arg] = kept;
    collectSteps(body, dead);
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

void MemorySimulator::assignReturnCopies(Operation *ret, unsigned step) {
  // remat's bufferization gives results the identity layout (Pipelines.cpp:
  // the function boundary's IdentityLayoutMap), so a returned view whose
  // buffer has another (a slice: `x[:, :16]` of a 3x24 has row stride 24) is
  // copied into a buffer of its own right before the return, while its
  // source is still live; each operand its own copy. A layout not known
  // statically counts as no copy, as for the views (viewCopies).
  for (Value operand : ret->getOperands()) {
    MemRefType layout = bufferLayout(resolve(operand));
    if (!layout)
      continue;
    if (layout.getLayout().isIdentity()) {
      // The deallocation pipeline returns a clone of a buffer the step does
      // not own (an argument or a constant returned as it is), made after
      // it frees the step's other buffers (returnClonesBytes).
      if (const Buffer *buffer = getBuffer(operand))
        if (buffer->kind == Buffer::Kind::Argument ||
            buffer->kind == Buffer::Kind::Constant)
          returnClones.push_back(operand);
      continue;
    }
    // The operand keeps its source's buffer; the copy is one more.
    addBuffer(Buffer::Kind::Allocation, operand, step);
    returnCopies.push_back(operand);
  }
}

unsigned MemorySimulator::addBuffer(Buffer::Kind kind, Value value,
                                    unsigned start) {
  Buffer buffer;
  buffer.kind = kind;
  buffer.bytes = getStaticBytes(value.getType()).value_or(0);
  buffer.start = start;
  buffer.end = start;
  buffer.values.push_back(value);
  buffers.push_back(buffer);
  return buffers.size() - 1;
}

unsigned MemorySimulator::newBuffer(Buffer::Kind kind, Value value,
                                    unsigned start) {
  unsigned id = addBuffer(kind, value, start);
  bufferOf[value] = id;
  return id;
}

/// How the lowering of TOSA to linalg (remat-lower-tosa) allocates other
/// than the one buffer per result this model counts for `op`, or "" where
/// it does not (elementwise ops, matmul, reductions, transpose, concat, pad,
/// tile, gather, cast, resize). A list of names, not bufferization's answer:
/// TOSA ops have no BufferizableOpInterface (upstream lowers them before it
/// bufferizes), so this is what bench/tosa/run.py measured, for a warning;
/// the exact answer is to lower first (docs/memory-model.md, "TOSA").
static StringRef tosaLoweringDifference(Operation *op) {
  StringRef name = op->getName().getStringRef();
  if (!name.consume_front("tosa."))
    return "";
  auto pads = [&] {
    auto pad = op->getAttrOfType<DenseI64ArrayAttr>("pad");
    return pad && llvm::any_of(pad.asArrayRef(),
                               [](int64_t p) { return p != 0; });
  };
  return llvm::StringSwitch<StringRef>(name)
      .Cases({"reshape", "slice", "identity"},
             "makes it a view of its operand (no buffer of its own, and the "
             "operand lives as long as it does)")
      .Cases({"conv2d", "conv3d"},
             pads() ? "pads the input into a temporary buffer" : "")
      .Case("depthwise_conv2d",
            "writes a temporary of the output's size (and pads the input "
            "into another where it pads)")
      .Case("transpose_conv2d",
            "decomposes it into a reversed, padded convolution with "
            "temporaries")
      .Case("avg_pool2d", "sums into a temporary of the output's size (and "
                          "pads the input into another where it pads)")
      .Case("max_pool2d", "allocates the pooling window (and pads the input "
                          "into a temporary where it pads)")
      .Case("argmax", "keeps the running maxima in a temporary beside the "
                      "indices")
      .Default("");
}

void MemorySimulator::assignBuffers(Block &entry) {
  if (isLoopBody) {
    // Values from outside the loop are counted outside; none is ours to
    // overwrite.
    llvm::SetVector<Value> outer;
    getUsedValuesDefinedAbove(*entry.getParent(), outer);
    for (Value value : outer)
      if (isa<TensorType>(value.getType()))
        buffers[newBuffer(Buffer::Kind::Outer, value, 0)].bytes = 0;
  }
  for (BlockArgument arg : entry.getArguments()) {
    if (!isa<TensorType>(arg.getType()))
      continue;
    if (isLoopBody) {
      if (getStaticBytes(arg.getType()))
        newBuffer(Buffer::Kind::Carried, arg, 0);
      continue;
    }
    if (!getStaticBytes(arg.getType())) {
      reportUnsized(arg.getLoc(), "argument #" + Twine(arg.getArgNumber()),
                    arg.getType());
      continue;
    }
    unsigned id = newBuffer(Buffer::Kind::Argument, arg, 0);
    argumentBytes = addBytes(argumentBytes, buffers[id].bytes);
  }
  // The TOSA ops whose lowering was warned about (once per op name).
  llvm::SmallDenseSet<OperationName, 4> reportedTosa;
  for (auto [step, op] : llvm::enumerate(steps)) {
    if (isa<scf::ForOp>(op)) {
      assignLoopBuffers(op, step);
      continue;
    }
    if (!isLoopBody && op->hasTrait<OpTrait::ReturnLike>()) {
      assignReturnCopies(op, step);
      continue;
    }
    if (isa<CallOpInterface>(op))
      findings.push_back(
          {Finding::Kind::Warning, op->getLoc(),
           "remat counts this call's results as fresh buffers but not the "
           "buffers its callee allocates inside; inline it (--inline) to "
           "count them"});
    if (StringRef difference = tosaLoweringDifference(op);
        !difference.empty() && reportedTosa.insert(op->getName()).second)
      findings.push_back(
          {Finding::Kind::Warning, op->getLoc(),
           ("remat counts '" + op->getName().getStringRef() +
            "' as one buffer per result, but its lowering to linalg " +
            difference +
            ", so the lowered program's memory differs from this count; "
            "lower TOSA first (--remat-lower-tosa; remat-run and the remat "
            "pipelines do) for a plan that holds to the byte (later '" +
            op->getName().getStringRef() + "' ops are not reported)")
               .str()});
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
  if (isViewLikeTensorOp(op) &&
      joinBuffer(resolve(op->getOperand(0)), result))
    return;
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
    if (writeInPlace(resolve(dps.getTiedOpOperand(result)->get()), result,
                     step))
      return;
  newBuffer(Buffer::Kind::Allocation, result, step);
}

bool MemorySimulator::joinBuffer(Value source, Value value) {
  auto it = bufferOf.find(source);
  if (it == bufferOf.end())
    return false;
  // Inserting may grow the map and invalidate `it`.
  unsigned id = it->second;
  bufferOf[value] = id;
  buffers[id].values.push_back(value);
  return true;
}

bool MemorySimulator::canWriteInPlace(Value init, unsigned step) const {
  auto it = bufferOf.find(init);
  if (it == bufferOf.end())
    return false;
  const Buffer &dest = buffers[it->second];
  // An empty tensor has no contents: its buffer is the one its first
  // writer writes; a later writer into the same (shared, e.g. by CSE)
  // empty tensor gets a new buffer, with nothing to copy.
  if (isEmptyTensor(init) && dest.values.size() > 1)
    return false;
  // In place unless a later step still reads the destination, or the
  // destination is not ours to overwrite.
  if (dest.kind != Buffer::Kind::Allocation &&
      dest.kind != Buffer::Kind::Carried)
    return false;
  unsigned lastUse = 0;
  for (Value value : dest.values)
    lastUse = std::max(lastUse, lastUseOf.lookup(value));
  return lastUse <= step;
}

bool MemorySimulator::writeInPlace(Value init, Value result, unsigned step) {
  return canWriteInPlace(init, step) && joinBuffer(init, result);
}

void MemorySimulator::assignLoopBuffers(Operation *op, unsigned step) {
  auto loop = cast<scf::ForOp>(op);
  LoopModel model;
  model.loop = op;
  if (std::optional<APInt> trip = loop.getStaticTripCount();
      trip && trip->isIntN(63))
    model.tripCount = trip->getZExtValue();
  if (model.tripCount == 0 || model.tripCount == 1)
    findings.push_back(
        {Finding::Kind::Warning, op->getLoc(),
         "a loop of " + std::to_string(model.tripCount) +
             " iterations is folded away by the lowering's canonicalization, "
             "but remat counts it as a loop: the measured peak can be lower "
             "than predicted"});
  MemorySimulator body(*loop.getBody(), model.tripCount);
  findings.append(body.findings.begin(), body.findings.end());
  unsizedValues += body.unsizedValues;
  model.bodyPeakBytes = model.tripCount == 0 ? 0 : body.peakBytes;
  model.inPlace = body.carriedInPlace;
  nestedPeak[step] = model.bodyPeakBytes;
  // Only a value computed afresh has buffers that depend on how often the
  // loop runs (remat-loop-checkpoint's advance loops write theirs in place).
  bool afresh = llvm::any_of(
      llvm::zip(model.inPlace, loop.getRegionIterArgs()), [](auto carried) {
        return !std::get<0>(carried) &&
               isa<TensorType>(std::get<1>(carried).getType());
      });
  if (model.tripCount < 0 && afresh)
    findings.push_back(
        {Finding::Kind::Warning, op->getLoc(),
         "the trip count of this loop is not a constant: remat counts its "
         "iterations' buffers as if it ran at least twice"});

  for (auto [result, initOperand, inPlace, arg] :
       llvm::zip(loop.getResults(), loop.getInitArgs(), model.inPlace,
                 loop.getRegionIterArgs())) {
    if (!isa<TensorType>(result.getType()))
      continue;
    if (!getStaticBytes(result.getType())) {
      reportUnsized(op->getLoc(), "result #" + Twine(result.getResultNumber()),
                    result.getType());
      continue;
    }
    Value init = resolve(initOperand);
    // Written in place, the loop's buffer is its initial value's (as for a
    // destination operand) or a copy of it.
    if (inPlace) {
      if (!writeInPlace(init, result, step))
        newBuffer(Buffer::Kind::Allocation, result, step);
      continue;
    }
    // Computed afresh, each iteration's value is a new buffer; the loop may
    // return its initial buffer (when it runs no iteration), so the
    // deallocation pipeline frees that buffer and the result together, at the
    // end of the block.
    if (canWriteInPlace(init, step))
      heldToBlockEnd.push_back(bufferOf.lookup(init));
    else
      heldToBlockEnd.push_back(newBuffer(Buffer::Kind::Allocation, arg, step));
    // The last iteration's buffer is in the loop step's nested peak.
    heldToBlockEnd.push_back(
        newBuffer(Buffer::Kind::Allocation, result, step + 1));
  }
  loops.push_back(std::move(model));
}

void MemorySimulator::extendLiveRanges() {
  unsigned last = steps.size() - 1;
  for (unsigned id : heldToBlockEnd)
    buffers[id].end = last;
  for (Buffer &buffer : buffers) {
    if (buffer.kind == Buffer::Kind::Argument ||
        buffer.kind == Buffer::Kind::Carried ||
        buffer.kind == Buffer::Kind::Outer) {
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
    // A loop's results follow their carried values (assignLoopBuffers).
    if (isa<scf::ForOp>(op))
      continue;
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
    int64_t bytes = addBytes(live, nestedPeak.lookup(step));
    if (step + 1 == steps.size())
      bytes = std::max(bytes, returnClonesBytes());
    timeline.push_back(bytes);
    if (bytes > peakBytes) {
      peakBytes = bytes;
      peakStep = step;
    }
  }
}

int64_t MemorySimulator::returnClonesBytes() const {
  if (returnClones.empty())
    return 0;
  // After the frees: the arguments, the buffers returned as they are, the
  // copies of returned views (each its own buffer) and the clones.
  int64_t bytes = argumentBytes;
  llvm::SmallPtrSet<const Buffer *, 8> returned;
  for (Value operand : steps.back()->getOperands())
    if (const Buffer *buffer = getBuffer(operand))
      if (buffer->kind == Buffer::Kind::Allocation &&
          !llvm::is_contained(returnCopies, operand) &&
          returned.insert(buffer).second)
        bytes = addBytes(bytes, buffer->bytes);
  for (Value value : llvm::concat<const Value>(returnCopies, returnClones))
    bytes = addBytes(bytes, getStaticBytes(value.getType()).value_or(0));
  return bytes;
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
