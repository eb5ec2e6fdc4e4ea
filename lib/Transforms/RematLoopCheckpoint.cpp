//===- RematLoopCheckpoint.cpp - Checkpoint a stashing scf.for ------------===//
//
// A forward scf.for that stashes each iteration's activations into stacked
// tensors it carries, and a reverse scf.for that reads them back, are
// rewritten so that the stash is not kept: the backward re-runs forward
// iterations from checkpoints of the loop's other carried values (its state).
//
// - binomial (default): Griewank's binomial schedule for c checkpoint slots,
//   the fewest re-run iterations of any schedule (planner/Binomial.h). The
//   split points are computed at run time by the index arithmetic of
//   planner::binomialSplit, so the IR is O(1) in the trip count.
// - two-level: c segments; the backward re-runs each segment from its
//   checkpoint into a stash of its iterations, then reverses it.
//
// `budget=` picks c from the memory model of the rewritten step. See
// docs/planner.md, "Loops".
//
//===----------------------------------------------------------------------===//

#include "remat/Transforms/Passes.h"

#include "remat/Analysis/MemorySimulator.h"
#include "remat/Planner/Binomial.h"
#include "remat/Planner/Budget.h"
#include "remat/Transforms/LocalizeInits.h"
#include "remat/Transforms/Report.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATLOOPCHECKPOINT
#include "remat/Transforms/Passes.h.inc"

namespace {

/// The forward loop, its stash and the backward loop that reads it.
struct StashPattern {
  scf::ForOp forward, backward;
  int64_t tripCount = 0;
  /// Per iter_arg of the forward loop: true for a stash (slices inserted at
  /// the induction variable, read back by the backward loop only).
  SmallVector<bool> isStash;
  /// Per iter_arg of the forward loop: for a stash, the value its last
  /// insert_slice writes (what the backward reads back); null otherwise.
  SmallVector<Value> stashed;
  /// The insert_slice ops that write the stash, in the forward body.
  SmallVector<tensor::InsertSliceOp> inserts;
  /// The extract_slice ops that read it, in the backward body.
  SmallVector<tensor::ExtractSliceOp> extracts;
};

static std::optional<int64_t> getConstantIndex(Value value) {
  APInt constant;
  if (!matchPattern(value, m_ConstantInt(&constant)))
    return std::nullopt;
  return constant.getSExtValue();
}

/// A loop from 0 by 1 to a constant: its trip count.
static std::optional<int64_t> getUnitTripCount(scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIndex(loop.getLowerBound());
  std::optional<int64_t> step = getConstantIndex(loop.getStep());
  std::optional<int64_t> ub = getConstantIndex(loop.getUpperBound());
  if (lb != 0 || step != 1 || !ub || *ub < 1)
    return std::nullopt;
  return ub;
}

/// Slice `position` of the outer dimension, whole in the others.
static bool isOuterSlice(OffsetSizeAndStrideOpInterface slice,
                         RankedTensorType stacked, Value position) {
  if (!stacked || !stacked.hasStaticShape())
    return false;
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
  SmallVector<OpFoldResult> strides = slice.getMixedStrides();
  if (offsets.empty() || offsets.front() != OpFoldResult(position))
    return false;
  for (auto [dim, offset, size, stride] :
       llvm::enumerate(offsets, sizes, strides)) {
    int64_t full = dim == 0 ? 1 : stacked.getDimSize(dim);
    if ((dim > 0 && getConstantIntValue(offset) != 0) ||
        getConstantIntValue(size) != full || getConstantIntValue(stride) != 1)
      return false;
  }
  return true;
}

/// Why `forward` is not a stashing loop read back by a reverse loop, or
/// empty with `pattern` filled in.
static std::string matchStash(scf::ForOp forward, StashPattern &pattern) {
  std::optional<int64_t> trip = getUnitTripCount(forward);
  if (!trip)
    return "its bounds are not 0 to a constant by 1";
  pattern.forward = forward;
  pattern.tripCount = *trip;
  Value iv = forward.getInductionVar();
  for (auto [arg, yielded, init, result] :
       llvm::zip(forward.getRegionIterArgs(), forward.getYieldedValues(),
                 forward.getInitArgs(), forward.getResults())) {
    // A stash: a chain of insert_slice at the induction variable from the
    // block argument to the yield, nothing else reading it, starting empty.
    SmallVector<tensor::InsertSliceOp> chain;
    Value value = yielded;
    while (auto insert = value.getDefiningOp<tensor::InsertSliceOp>()) {
      if (!insert->hasOneUse() ||
          !isOuterSlice(insert, insert.getDestType(), iv))
        break;
      chain.push_back(insert);
      value = insert.getDest();
    }
    bool stash = !chain.empty() && value == arg && arg.hasOneUse() &&
                 isa_and_nonnull<tensor::EmptyOp>(init.getDefiningOp());
    pattern.isStash.push_back(stash);
    // Whole slices at one position: the last insert is what stays.
    pattern.stashed.push_back(stash ? chain.front().getSource() : Value());
    if (!stash)
      continue;
    pattern.inserts.append(chain.begin(), chain.end());
    for (Operation *user : result.getUsers()) {
      auto extract = dyn_cast<tensor::ExtractSliceOp>(user);
      auto loop = user->getParentOfType<scf::ForOp>();
      if (!extract || !loop || extract->getParentOp() != loop ||
          loop->getBlock() != forward->getBlock())
        return "a stash it carries is read other than by slices in a loop";
      if (pattern.backward && pattern.backward != loop)
        return "its stash is read by two loops";
      pattern.backward = loop;
      pattern.extracts.push_back(extract);
    }
  }
  if (!pattern.backward)
    return "it carries no stash that a loop reads back (tensor.insert_slice "
           "at the induction variable into an empty tensor it carries)";
  scf::ForOp backward = pattern.backward;
  if (getUnitTripCount(backward) != pattern.tripCount)
    return "the loop that reads its stash does not run 0 to " +
           std::to_string(pattern.tripCount) + " by 1";
  // The backward reads slice L - 1 - j at iteration j.
  for (tensor::ExtractSliceOp extract : pattern.extracts) {
    Value offset = extract.getMixedOffsets().front().dyn_cast<Value>();
    auto sub = offset ? offset.getDefiningOp<arith::SubIOp>() : nullptr;
    if (!sub || sub.getRhs() != backward.getInductionVar() ||
        getConstantIndex(sub.getLhs()) != pattern.tripCount - 1 ||
        !isOuterSlice(extract, extract.getSourceType(), offset))
      return "the loop that reads its stash does not read slice " +
             std::to_string(pattern.tripCount - 1) + " - j at iteration j";
  }
  for (auto [stash, arg] :
       llvm::zip(pattern.isStash, forward.getRegionIterArgs()))
    if (!stash && !isa<RankedTensorType>(arg.getType()))
      return "it carries a value that is not a tensor";
  if (!isMemoryEffectFree(forward))
    return "its body has memory effects, so it cannot be re-run";
  return "";
}

/// What the binomial schedule needs beyond the pattern: the backward reads
/// the values a re-run iteration stashes directly, so each slice it extracts
/// must have the type of the value inserted.
static std::string checkBinomial(StashPattern &pattern) {
  if (pattern.tripCount < 3)
    return "the binomial schedule needs at least 3 iterations";
  if (pattern.tripCount >= (int64_t(1) << 31))
    return "the binomial schedule's index arithmetic needs fewer than 2^31 "
           "iterations";
  for (tensor::ExtractSliceOp extract : pattern.extracts) {
    auto result = cast<OpResult>(extract.getSource());
    if (pattern.stashed[result.getResultNumber()].getType() !=
        extract.getResultType())
      return "the backward extracts a stash slice as another type than the "
             "forward inserts";
  }
  return "";
}

/// What both schedules build with: constants, loops, slices, and clones of
/// the forward and backward bodies.
class LoopBuilder {
protected:
  explicit LoopBuilder(StashPattern &pattern)
      : p(pattern), b(pattern.forward), created(pattern.forward->getBlock()) {
    for (auto [k, stash] : llvm::enumerate(p.isStash))
      if (!stash)
        state.push_back(k);
    b.setListener(&created);
  }

public:
  /// Erases what the rewrite made in the function's block that ends up
  /// unused (the index arithmetic of a peeled iteration's dropped stash
  /// reads), once the original loops are gone.
  void eraseUnused() {
    for (Operation *op : llvm::reverse(created.ops))
      if (isOpTriviallyDead(op))
        op->erase();
  }

protected:

  /// An index constant, created once, at the start of the function.
  Value index(int64_t value) {
    Value &constant = constants[value];
    if (!constant) {
      OpBuilder top = OpBuilder::atBlockBegin(p.forward->getBlock());
      constant = arith::ConstantIndexOp::create(top, p.forward.getLoc(), value);
    }
    return constant;
  }

  Value add(Location loc, Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value sub(Location loc, Value x, Value y) {
    return arith::SubIOp::create(b, loc, x, y);
  }
  Value mul(Location loc, Value x, Value y) {
    return arith::MulIOp::create(b, loc, x, y);
  }

  /// scf.for `lb` to `ub` by 1 carrying `inits`; `body(iv, carried)`
  /// returns what to yield. Ops of the body that end up unused (what only a
  /// dropped stash read) are erased.
  template <typename Body>
  scf::ForOp buildLoop(Location loc, Value lb, Value ub, ValueRange inits,
                       Body body) {
    auto loop = scf::ForOp::create(b, loc, lb, ub, index(1), inits);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> yielded =
        body(loop.getInductionVar(), loop.getRegionIterArgs());
    scf::YieldOp::create(b, loc, yielded);
    eraseUnusedIn(*loop.getBody());
    return loop;
  }

  static void eraseUnusedIn(Block &block) {
    SmallVector<Operation *> ops = llvm::map_to_vector(
        block.without_terminator(), [](Operation &op) { return &op; });
    for (Operation *op : llvm::reverse(ops))
      if (isOpTriviallyDead(op))
        op->erase();
  }

  RankedTensorType stateType(unsigned n) {
    return cast<RankedTensorType>(
        p.forward.getRegionIterArgs()[state[n]].getType());
  }

  /// `count` slices of `type`, stacked, empty.
  Value emptyStack(Location loc, int64_t count, RankedTensorType type) {
    SmallVector<int64_t> shape{count};
    llvm::append_range(shape, type.getShape());
    return tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  }

  static SmallVector<OpFoldResult> sliceOf(OpBuilder &b, RankedTensorType stack,
                                           Value position,
                                           SmallVector<OpFoldResult> &sizes) {
    SmallVector<OpFoldResult> offsets(stack.getRank(), b.getIndexAttr(0));
    offsets[0] = position;
    sizes.assign({b.getIndexAttr(1)});
    for (int64_t dim : stack.getShape().drop_front())
      sizes.push_back(b.getIndexAttr(dim));
    return offsets;
  }

  Value insertSlice(Location loc, Value slice, Value stack, Value position) {
    auto type = cast<RankedTensorType>(stack.getType());
    SmallVector<OpFoldResult> sizes;
    SmallVector<OpFoldResult> offsets = sliceOf(b, type, position, sizes);
    SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
    return tensor::InsertSliceOp::create(b, loc, slice, stack, offsets, sizes,
                                         strides);
  }

  Value extractSlice(Location loc, Value stack, Value position,
                     RankedTensorType type) {
    auto stacked = cast<RankedTensorType>(stack.getType());
    SmallVector<OpFoldResult> sizes;
    SmallVector<OpFoldResult> offsets = sliceOf(b, stacked, position, sizes);
    SmallVector<OpFoldResult> strides(stacked.getRank(), b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, type, stack, offsets, sizes,
                                          strides);
  }

  /// The state slices at `position` of `stacks`.
  SmallVector<Value> extractState(Location loc, ValueRange stacks,
                                  Value position) {
    SmallVector<Value> slices;
    for (auto [n, stack] : llvm::enumerate(stacks))
      slices.push_back(extractSlice(loc, stack, position, stateType(n)));
    return slices;
  }

  /// Clones the ops of `body` but its terminator and the stash slices
  /// `slices`, which `replace` maps instead.
  template <typename SliceOp>
  void cloneBody(Block &body, ArrayRef<SliceOp> slices, IRMapping &mapping,
                 function_ref<void(SliceOp)> replace) {
    llvm::SmallPtrSet<Operation *, 8> special;
    for (SliceOp slice : slices)
      special.insert(slice);
    for (Operation &op : body.without_terminator()) {
      if (special.contains(&op))
        replace(cast<SliceOp>(op));
      else
        b.clone(op, mapping);
    }
  }

  /// Clones the forward body at global iteration `i` with the state bound to
  /// `current`; its stash slices go to `stashes` at `local`, or nowhere when
  /// `stashes` is empty (`mapping` then tells what they would have been).
  /// Returns the values to yield: the next state, then (with `stashes`) the
  /// stashes.
  SmallVector<Value> cloneForwardBody(Value i, ValueRange current,
                                      ValueRange stashes, Value local,
                                      IRMapping &mapping) {
    mapping.map(p.forward.getInductionVar(), i);
    unsigned nextState = 0, nextStash = 0;
    for (auto [k, arg] : llvm::enumerate(p.forward.getRegionIterArgs())) {
      if (!p.isStash[k])
        mapping.map(arg, current[nextState++]);
      else if (!stashes.empty())
        mapping.map(arg, stashes[nextStash++]);
    }
    cloneBody<tensor::InsertSliceOp>(
        *p.forward.getBody(), p.inserts, mapping,
        [&](tensor::InsertSliceOp insert) {
          if (!stashes.empty())
            mapping.map(insert.getResult(),
                        insertSlice(insert.getLoc(),
                                    mapping.lookup(insert.getSource()),
                                    mapping.lookup(insert.getDest()), local));
        });
    SmallVector<Value> yielded;
    for (auto [k, value] : llvm::enumerate(p.forward.getYieldedValues()))
      if (!p.isStash[k] || !stashes.empty())
        yielded.push_back(mapping.lookupOrDefault(value));
    return yielded;
  }

  /// Clones the backward body at iteration `j` on `carried`; each stash
  /// slice it extracts is `readStash(extract)`.
  SmallVector<Value>
  cloneBackwardBody(Value j, ValueRange carried,
                    function_ref<Value(tensor::ExtractSliceOp)> readStash) {
    IRMapping mapping;
    mapping.map(p.backward.getInductionVar(), j);
    mapping.map(p.backward.getRegionIterArgs(), carried);
    cloneBody<tensor::ExtractSliceOp>(
        *p.backward.getBody(), p.extracts, mapping,
        [&](tensor::ExtractSliceOp extract) {
          mapping.map(extract.getResult(), readStash(extract));
        });
    SmallVector<Value> yielded;
    for (Value value : p.backward.getYieldedValues())
      yielded.push_back(mapping.lookupOrDefault(value));
    return yielded;
  }

  /// The forward loop's state results now come from `values`; the backward
  /// loop's results from `results`.
  void replaceResults(ValueRange values, ValueRange results) {
    for (auto [n, k] : llvm::enumerate(state))
      p.forward.getResult(k).replaceAllUsesWith(values[n]);
    p.backward.replaceAllUsesWith(results);
  }

  /// The ops built in the function's block (not inside the new loops).
  struct Created : OpBuilder::Listener {
    explicit Created(Block *block) : block(block) {}
    void notifyOperationInserted(Operation *op,
                                 OpBuilder::InsertPoint) override {
      if (op->getBlock() == block)
        ops.push_back(op);
    }
    Block *block;
    SmallVector<Operation *> ops;
  };

  StashPattern &p;
  OpBuilder b;
  Created created;
  /// Indices of the forward loop's carried values that are no stash.
  SmallVector<unsigned> state;
  DenseMap<int64_t, Value> constants;
};

/// The two-level schedule with segments of `segment` iterations.
class TwoLevelRewriter : LoopBuilder {
public:
  using LoopBuilder::eraseUnused;
  TwoLevelRewriter(StashPattern &pattern, int64_t segment)
      : LoopBuilder(pattern), segment(segment),
        segments(pattern.tripCount / segment) {}

  void run() {
    b.setInsertionPoint(p.forward);
    scf::ForOp forward = buildForward(p.forward.getLoc());
    b.setInsertionPoint(p.backward);
    buildBackward(p.backward.getLoc(), forward);
  }

private:
  /// A copy of `checkpoint` into a fresh tensor: the re-run loop starts from
  /// it, and bufferization would otherwise copy the stack's strided slice
  /// with a memref.copy, which the NVVM pipeline cannot lower.
  Value restore(Location loc, Value checkpoint) {
    auto type = cast<RankedTensorType>(checkpoint.getType());
    Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                          type.getElementType());
    return linalg::CopyOp::create(b, loc, checkpoint, empty).getResult(0);
  }

  /// segment * s + t.
  Value globalIndex(Location loc, Value s, Value t) {
    return add(loc, mul(loc, s, index(segment)), t);
  }

  /// The forward loop over segments: each stores its starting state, then
  /// runs its iterations without stashing. Results: the state, then the
  /// stacked checkpoints of each state value.
  scf::ForOp buildForward(Location loc) {
    SmallVector<Value> inits;
    for (unsigned k : state)
      inits.push_back(p.forward.getInitArgs()[k]);
    for (unsigned n = 0; n < state.size(); ++n)
      inits.push_back(emptyStack(loc, segments, stateType(n)));
    size_t count = state.size();
    return buildLoop(
        loc, index(0), index(segments), inits,
        [&](Value s, ValueRange carried) {
          ValueRange current = carried.take_front(count);
          SmallVector<Value> stored;
          for (auto [value, stack] :
               llvm::zip(current, carried.drop_front(count)))
            stored.push_back(insertSlice(loc, value, stack, s));
          scf::ForOp inner = buildLoop(
              loc, index(0), index(segment), current,
              [&](Value t, ValueRange carried) {
                IRMapping mapping;
                return cloneForwardBody(globalIndex(loc, s, t), carried, {},
                                        Value(), mapping);
              });
          SmallVector<Value> yielded(inner.getResults());
          llvm::append_range(yielded, stored);
          return yielded;
        });
  }

  /// The backward loop over segments, last first: restore the segment's
  /// state, re-run its forward iterations into a stash of `segment` slices,
  /// run its backward iterations on that stash.
  void buildBackward(Location loc, scf::ForOp forward) {
    size_t count = state.size();
    scf::ForOp outer = buildLoop(
        loc, index(0), index(segments), p.backward.getInitArgs(),
        [&](Value sj, ValueRange carried) {
          Value s = sub(loc, index(segments - 1), sj);
          SmallVector<Value> inits;
          for (Value checkpoint : extractState(
                   loc, forward.getResults().drop_front(count), s))
            inits.push_back(restore(loc, checkpoint));
          for (auto [k, arg] : llvm::enumerate(p.forward.getRegionIterArgs()))
            if (p.isStash[k]) {
              auto type = cast<RankedTensorType>(arg.getType());
              inits.push_back(emptyStack(
                  loc, segment,
                  RankedTensorType::get(type.getShape().drop_front(),
                                        type.getElementType())));
            }
          scf::ForOp recompute = buildLoop(
              loc, index(0), index(segment), inits,
              [&](Value t, ValueRange carried) {
                IRMapping mapping;
                return cloneForwardBody(globalIndex(loc, s, t),
                                        carried.take_front(count),
                                        carried.drop_front(count), t, mapping);
              });
          DenseMap<Value, Value> localStash;
          unsigned nextStash = 0;
          for (auto [k, result] : llvm::enumerate(p.forward.getResults()))
            if (p.isStash[k])
              localStash[result] = recompute.getResult(count + nextStash++);
          scf::ForOp inner = buildLoop(
              loc, index(0), index(segment), carried,
              [&](Value tj, ValueRange carried) {
                // Global j = segment * sj + tj reads slice L - 1 - j, which
                // is this segment's slice segment - 1 - tj.
                Value local = sub(loc, index(segment - 1), tj);
                return cloneBackwardBody(
                    globalIndex(loc, sj, tj), carried,
                    [&](tensor::ExtractSliceOp extract) {
                      return extractSlice(extract.getLoc(),
                                          localStash.lookup(extract.getSource()),
                                          local, extract.getResultType());
                    });
              });
          return SmallVector<Value>(inner.getResults());
        });
    replaceResults(forward.getResults().take_front(count), outer.getResults());
  }

  int64_t segment, segments;
};

/// Griewank's binomial schedule with `slots` checkpoints. Each state value
/// has a stack of slots + 1 states: the checkpoints, and one more for the
/// working state (advancing from a checkpoint writes the next free slot).
/// For layer i (from the last), the backward descends the binomial
/// recursion from the whole loop to the segment that ends at i (an
/// scf.while over indices); the segment's start is the newest checkpoint at
/// or before i. It advances from there to i (an scf.for of run-time length),
/// storing a checkpoint at each split point, and re-runs iteration i with
/// its stash for the backward iteration. The forward loop is the advance
/// for the last layer; that layer's re-run is the forward's last iteration,
/// and its backward iteration is peeled off the backward loop.
class BinomialRewriter : LoopBuilder {
public:
  using LoopBuilder::eraseUnused;
  BinomialRewriter(StashPattern &pattern, int64_t slots)
      : LoopBuilder(pattern), slots(slots) {}

  void run() {
    Location loc = p.forward.getLoc();
    int64_t trip = p.tripCount;
    b.setInsertionPoint(p.forward);
    SmallVector<Value> stacks;
    for (auto [n, k] : llvm::enumerate(state)) {
      Value empty = emptyStack(loc, slots + 1, stateType(n));
      stacks.push_back(
          insertSlice(loc, p.forward.getInitArgs()[k], empty, index(0)));
      stackStores.push_back(stacks.back());
    }
    Advance forward =
        buildAdvance(loc, index(0), index(trip - 1), stacks, index(0),
                     index(planner::binomialSplit(trip, slots)), index(slots));
    IRMapping last;
    SmallVector<Value> finalState =
        rerun(loc, index(trip - 1), forward.stacks, forward.source, last);

    loc = p.backward.getLoc();
    b.setInsertionPoint(p.backward);
    SmallVector<Value> peeled = cloneBackwardBody(
        index(0), p.backward.getInitArgs(),
        [&](tensor::ExtractSliceOp extract) { return readStash(extract, last); });
    size_t count = peeled.size();
    SmallVector<Value> inits = peeled;
    llvm::append_range(inits, forward.stacks);
    scf::ForOp backward = buildLoop(
        loc, index(1), index(trip), inits, [&](Value j, ValueRange carried) {
          Value i = sub(loc, index(trip - 1), j);
          Descent descent = buildDescent(loc, i);
          Advance advance = buildAdvance(
              loc, descent.start, i, carried.drop_front(count), descent.slot,
              descent.next, descent.slots);
          IRMapping mapping;
          rerun(loc, i, advance.stacks, advance.source, mapping);
          SmallVector<Value> yielded = cloneBackwardBody(
              j, carried.take_front(count),
              [&](tensor::ExtractSliceOp extract) {
                return readStash(extract, mapping);
              });
          llvm::append_range(yielded, advance.stacks);
          return yielded;
        });
    replaceResults(finalState, backward.getResults().take_front(count));
  }

  /// Each state value's stack, as first written (for the memory model's
  /// slope; its empty tensor may be re-made by localizeInits).
  SmallVector<Value> stackStores;

private:
  /// planner::binomialSplit(l, s) as index arithmetic: r and beta(s, r)
  /// by the recurrence in an scf.while, then
  /// min(beta(s, r - 1), l - beta(s - 1, r - 1)), or l - 1 when s is 1.
  Value buildSplit(Location loc, Value l, Value s) {
    Type indexType = b.getIndexType();
    SmallVector<Type> types(3, indexType);
    Value multiple = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                           s, index(1));
    auto loop = scf::WhileOp::create(
        b, loc, types, ValueRange{index(0), index(1), index(0)},
        [&](OpBuilder &before, Location loc, ValueRange args) {
          Value below = arith::CmpIOp::create(
              before, loc, arith::CmpIPredicate::ult, args[1], l);
          Value more = arith::AndIOp::create(before, loc, below, multiple);
          scf::ConditionOp::create(before, loc, more, args);
        },
        [&](OpBuilder &after, Location loc, ValueRange args) {
          // r + 1, beta(s, r) (s + r + 1) / (r + 1), beta(s, r).
          Value r = arith::AddIOp::create(after, loc, args[0], index(1));
          Value grown = arith::MulIOp::create(
              after, loc, args[1], arith::AddIOp::create(after, loc, s, r));
          Value beta = arith::DivUIOp::create(after, loc, grown, r);
          scf::YieldOp::create(after, loc, ValueRange{r, beta, args[1]});
        });
    Value r = loop.getResult(0), previous = loop.getResult(2);
    // beta(s - 1, r - 1) = beta(s, r - 1) s / (s + r - 1); the divisor is
    // kept at least 1 for the s = 1 case, whose result is not used.
    Value divisor = arith::MaxUIOp::create(
        b, loc, sub(loc, add(loc, s, r), index(1)), index(1));
    Value fewer = arith::DivUIOp::create(b, loc, mul(loc, previous, s), divisor);
    Value split = arith::MinUIOp::create(b, loc, previous, sub(loc, l, fewer));
    return arith::SelectOp::create(b, loc, multiple, split,
                                   sub(loc, l, index(1)));
  }

  /// Where the advance to layer i starts: the newest checkpoint at or
  /// before i, its slot, the slots left from it, and the first split point
  /// after it.
  struct Descent {
    Value start, slot, slots, next;
  };

  /// Descends the binomial recursion from the whole loop [0, L) with all
  /// slots: in a segment [lo, hi) with s slots split at m, layers from m on
  /// are reversed first, from a checkpoint of m in the next slot with s - 1
  /// slots, then the others from lo's checkpoint with s slots (with one
  /// slot, each from lo). It stops at the segment that ends at i: its start
  /// is the newest checkpoint, the others on the way are stored when it
  /// advances.
  Descent buildDescent(Location loc, Value i) {
    Value end = add(loc, i, index(1));
    SmallVector<Type> types(4, b.getIndexType());
    auto loop = scf::WhileOp::create(
        b, loc, types,
        ValueRange{index(0), index(p.tripCount), index(slots), index(0)},
        [&](OpBuilder &before, Location loc, ValueRange args) {
          Value more = arith::CmpIOp::create(
              before, loc, arith::CmpIPredicate::ne, args[1], end);
          scf::ConditionOp::create(before, loc, more, args);
        },
        [&](OpBuilder &after, Location loc, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(after.getBlock());
          Value lo = args[0], hi = args[1], s = args[2], slot = args[3];
          Value m = add(loc, lo, buildSplit(loc, sub(loc, hi, lo), s));
          Value right = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::uge, i, m);
          Value single = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::eq, s, index(1));
          Value left = arith::SelectOp::create(b, loc, single, end, m);
          SmallVector<Value> next{
              arith::SelectOp::create(b, loc, right, m, lo),
              arith::SelectOp::create(b, loc, right, hi, left),
              arith::SelectOp::create(b, loc, right, sub(loc, s, index(1)), s),
              arith::SelectOp::create(b, loc, right, add(loc, slot, index(1)),
                                      slot)};
          scf::YieldOp::create(b, loc, next);
        });
    Descent descent;
    descent.start = loop.getResult(0);
    descent.slots = loop.getResult(2);
    descent.slot = loop.getResult(3);
    descent.next = add(loc, descent.start,
                       buildSplit(loc, sub(loc, end, descent.start),
                                  descent.slots));
    return descent;
  }

  struct Advance {
    SmallVector<Value> stacks;
    /// The slot holding the state of the target layer.
    Value source;
  };

  /// Runs the forward body without its stash from layer `from` (in slot
  /// `source`) to layer `target`, each new state into the slot above the
  /// newest checkpoint; a state at split point `next` becomes a checkpoint
  /// (the newest), and the next split point is that of the segment from it
  /// to `target` with one slot less.
  Advance buildAdvance(Location loc, Value from, Value target,
                       ValueRange stacks, Value source, Value next,
                       Value slotsLeft) {
    size_t count = stacks.size();
    SmallVector<Value> inits(stacks);
    llvm::append_range(inits,
                       ValueRange{source, source, next, slotsLeft});
    scf::ForOp loop = buildLoop(
        loc, from, target, inits, [&](Value q, ValueRange carried) {
          ValueRange current = carried.take_front(count);
          Value holder = carried[count], top = carried[count + 1];
          Value split = carried[count + 2], s = carried[count + 3];
          Value working = add(loc, top, index(1));
          IRMapping mapping;
          SmallVector<Value> nextState = cloneForwardBody(
              q, extractState(loc, current, holder), {}, Value(), mapping);
          SmallVector<Value> yielded;
          for (auto [value, stack] : llvm::zip(nextState, current))
            yielded.push_back(insertSlice(loc, value, stack, working));
          Value reached = add(loc, q, index(1));
          Value store = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                              reached, split);
          Value newTop = arith::SelectOp::create(b, loc, store, working, top);
          Value newSlots = arith::SelectOp::create(
              b, loc, store, sub(loc, s, index(1)), s);
          Value before = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, reached, target);
          Value again = arith::AndIOp::create(b, loc, store, before);
          auto choice = scf::IfOp::create(b, loc, TypeRange{b.getIndexType()},
                                          again, /*withElseRegion=*/true);
          {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(&choice.getThenRegion().front());
            Value length = sub(loc, add(loc, target, index(1)), reached);
            scf::YieldOp::create(
                b, loc, add(loc, reached, buildSplit(loc, length, newSlots)));
            b.setInsertionPointToStart(&choice.getElseRegion().front());
            scf::YieldOp::create(b, loc, split);
          }
          llvm::append_range(yielded, ValueRange{working, newTop,
                                                 choice.getResult(0),
                                                 newSlots});
          return yielded;
        });
    Advance advance;
    advance.stacks.assign(loop.getResults().begin(),
                          loop.getResults().begin() + count);
    advance.source = loop.getResult(count);
    return advance;
  }

  /// Re-runs layer `i` from the state in slot `source`, stash included
  /// (`mapping` tells its values); returns the next state.
  SmallVector<Value> rerun(Location loc, Value i, ValueRange stacks,
                           Value source, IRMapping &mapping) {
    return cloneForwardBody(i, extractState(loc, stacks, source), {}, Value(),
                            mapping);
  }

  Value readStash(tensor::ExtractSliceOp extract, const IRMapping &rerun) {
    auto result = cast<OpResult>(extract.getSource());
    return rerun.lookupOrDefault(p.stashed[result.getResultNumber()]);
  }

  int64_t slots;
};

/// The segment length for `checkpoints` segments of `trip` iterations; the
/// divisor of `trip` nearest sqrt(trip) when `checkpoints` is 0.
static std::optional<int64_t> chooseSegment(int64_t trip,
                                            unsigned checkpoints) {
  if (checkpoints != 0)
    return trip % checkpoints == 0 ? std::optional<int64_t>(trip / checkpoints)
                                   : std::nullopt;
  int64_t best = 1;
  double root = std::sqrt(double(trip));
  for (int64_t d = 1; d <= trip; ++d)
    if (trip % d == 0 && std::abs(d - root) < std::abs(best - root))
      best = d;
  return best;
}

/// The binomial schedule's default: the fewest slots that re-run each
/// iteration at most twice (repetition number 2), at most L - 1.
static int64_t defaultSlots(int64_t trip) {
  int64_t slots = 1;
  while (slots < trip - 1 && planner::binomialBeta(slots, 2) < trip)
    ++slots;
  return slots;
}

/// "1 checkpoint", "2 checkpoints".
static std::string plural(int64_t count, StringRef noun) {
  return std::to_string(count) + " " + noun.str() + (count == 1 ? "" : "s");
}

/// One way to rewrite a loop pair: a schedule and its checkpoint count (for
/// two-level, the segment count).
struct Choice {
  LoopSchedule schedule = LoopSchedule::Binomial;
  int64_t checkpoints = 0;
  /// Forward iterations the backward re-runs.
  int64_t reruns = 0;
};

static void rewrite(StashPattern &pattern, const Choice &choice,
                    SmallVectorImpl<Value> *stackStores = nullptr) {
  SmallVector<Value> inits(pattern.forward.getInitArgs());
  auto erasePair = [&] {
    pattern.backward->erase();
    pattern.forward->erase();
  };
  if (choice.schedule == LoopSchedule::TwoLevel) {
    TwoLevelRewriter rewriter(pattern, pattern.tripCount / choice.checkpoints);
    rewriter.run();
    erasePair();
    rewriter.eraseUnused();
  } else {
    BinomialRewriter rewriter(pattern, choice.checkpoints);
    rewriter.run();
    erasePair();
    rewriter.eraseUnused();
    if (stackStores)
      stackStores->assign(rewriter.stackStores);
  }
  // The stash's empty tensors are left without users.
  for (Value init : inits)
    if (Operation *def = init.getDefiningOp(); def && isOpTriviallyDead(def))
      def->erase();
}

/// The peak the memory model predicts for the function with one loop pair
/// rewritten as `choice` (on a copy; remat-bufferize localizes destinations
/// first, so the copy does too). `slope`, when given, receives per step of
/// the rewritten function the bytes one more binomial slot would add (the
/// state bytes where the stacks are live), and `timeline` its live bytes.
static int64_t predictPeak(FunctionOpInterface fn, unsigned forwardIndex,
                           const Choice &choice,
                           SmallVectorImpl<int64_t> *timeline = nullptr,
                           SmallVectorImpl<int64_t> *slope = nullptr) {
  Operation *copy = fn->clone();
  auto function = cast<FunctionOpInterface>(copy);
  Block &block = function.getFunctionBody().front();
  auto forward = cast<scf::ForOp>(*std::next(block.begin(), forwardIndex));
  StashPattern pattern;
  std::string unmatched = matchStash(forward, pattern);
  assert(unmatched.empty() && "the copy matches as the original did");
  (void)unmatched;
  SmallVector<Value> stackStores;
  rewrite(pattern, choice, &stackStores);
  localizeInits(block);
  int64_t peak;
  {
    MemorySimulator sim(copy);
    peak = sim.getPeakBytes();
    if (timeline)
      timeline->assign(sim.getTimeline().begin(), sim.getTimeline().end());
    if (slope) {
      slope->assign(sim.getTimeline().size(), 0);
      for (Value stored : stackStores) {
        const Buffer *stack = sim.getBuffer(stored);
        if (!stack)
          continue;
        int64_t perSlot = stack->bytes / (choice.checkpoints + 1);
        for (unsigned step = stack->start; step <= stack->end; ++step)
          (*slope)[step] += perSlot;
      }
    }
  }
  copy->erase();
  return peak;
}

struct RematLoopCheckpointPass
    : public impl::RematLoopCheckpointBase<RematLoopCheckpointPass> {
  using RematLoopCheckpointBase::RematLoopCheckpointBase;

  /// Rejects bad options before any IR is touched, however the pass was made.
  LogicalResult initialize(MLIRContext *context) override {
    std::string invalid = checkLoopCheckpointOptions(budget, checkpoints);
    if (invalid.empty())
      return success();
    return emitError(UnknownLoc::get(context), "remat-loop-checkpoint: ")
           << invalid;
  }

  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](FunctionOpInterface fn) {
      if (fn.isExternal() || !fn.getFunctionBody().hasOneBlock())
        return;
      for (auto loop : fn.getFunctionBody().front().getOps<scf::ForOp>())
        loops.push_back(loop);
    });
    llvm::DenseSet<Operation *> consumed;
    for (scf::ForOp loop : loops) {
      if (consumed.contains(loop))
        continue;
      StashPattern pattern;
      std::string why = matchStash(loop, pattern);
      if (why.empty() && schedule == LoopSchedule::Binomial)
        why = checkBinomial(pattern);
      if (!why.empty()) {
        // A loop the backward reads no stash of is no forward loop.
        if (pattern.backward || !pattern.inserts.empty())
          loop.emitWarning("remat-loop-checkpoint: loop left alone: ") << why;
        continue;
      }
      consumed.insert(pattern.backward);
      FailureOr<std::optional<Choice>> choice =
          budget.empty() ? chooseCount(pattern) : chooseForBudget(pattern);
      if (failed(choice))
        return signalPassFailure();
      if (*choice)
        rewrite(pattern, **choice);
    }
  }

  /// The choice `checkpoints=` (or the schedule's default) makes.
  FailureOr<std::optional<Choice>> chooseCount(StashPattern &pattern) {
    int64_t trip = pattern.tripCount;
    Choice choice;
    choice.schedule = schedule;
    if (schedule == LoopSchedule::TwoLevel) {
      std::optional<int64_t> segment = chooseSegment(trip, checkpoints);
      if (!segment || *segment < 2 || trip / *segment < 2)
        return pattern.forward.emitError("remat-loop-checkpoint: ")
               << "cannot split " << trip << " iterations into "
               << (checkpoints ? checkpoints : trip / segment.value_or(1))
               << " segments of equal length of at least 2 iterations each; "
                  "give checkpoints= a divisor of "
               << trip << " between 2 and " << trip / 2;
      choice.checkpoints = trip / *segment;
      choice.reruns = trip;
      emitRemark(pattern.forward.getLoc(), "remat-loop-checkpoint: ")
          << choice.checkpoints << " checkpoints, segments of " << *segment
          << " iterations: the backward re-runs " << trip
          << " forward iterations and stashes " << *segment
          << " at a time instead of " << trip;
      return std::optional<Choice>(choice);
    }
    if (int64_t(checkpoints) >= trip)
      return pattern.forward.emitError("remat-loop-checkpoint: ")
             << int64_t(checkpoints) << " checkpoints for " << trip
             << " iterations: the binomial schedule takes 1 to " << trip - 1
             << " (" << trip - 1 << " already re-run each iteration once)";
    choice.checkpoints = checkpoints ? checkpoints : defaultSlots(trip);
    choice.reruns = planner::binomialForwardSteps(trip, choice.checkpoints);
    remarkBinomial(pattern, choice);
    return std::optional<Choice>(choice);
  }

  InFlightDiagnostic remarkBinomial(StashPattern &pattern,
                                    const Choice &choice) {
    int64_t trip = pattern.tripCount;
    InFlightDiagnostic diag =
        emitRemark(pattern.forward.getLoc(), "remat-loop-checkpoint: ");
    int64_t repetitions =
        planner::binomialRepetitions(trip, choice.checkpoints);
    diag << "binomial schedule, " << plural(choice.checkpoints, "checkpoint")
         << " for " << trip << " iterations: " << choice.reruns
         << " forward iterations re-run (the least for "
         << plural(choice.checkpoints, "checkpoint") << "; none more than "
         << (repetitions == 1 ? std::string("once")
                              : std::to_string(repetitions) + " times")
         << "); holds " << choice.checkpoints + 1
         << " states and one iteration's stash instead of " << trip
         << " iterations' stash";
    return diag;
  }

  /// The fewest re-run iterations whose predicted peak fits `budget`; none
  /// when the step fits without checkpointing.
  FailureOr<std::optional<Choice>>
  chooseForBudget(StashPattern &pattern) {
    auto fn = pattern.forward->getParentOfType<FunctionOpInterface>();
    Block &block = fn.getFunctionBody().front();
    unsigned forwardIndex =
        std::distance(block.begin(), pattern.forward->getIterator());
    int64_t unplanned;
    {
      Operation *copy = fn->clone();
      localizeInits(cast<FunctionOpInterface>(copy).getFunctionBody().front());
      unplanned = MemorySimulator(copy).getPeakBytes();
      copy->erase();
    }
    // Parses: initialize() checked it.
    int64_t bytes = planner::parseBudget(budget).budget->resolve(unplanned);
    if (unplanned <= bytes) {
      emitRemark(pattern.forward.getLoc(), "remat-loop-checkpoint: ")
          << "the step peaks at " << unplanned << " bytes, within the budget of "
          << bytes << ": loop left as it is";
      return std::optional<Choice>();
    }
    if (schedule == LoopSchedule::TwoLevel)
      return chooseTwoLevel(pattern, forwardIndex, unplanned, bytes);
    int64_t trip = pattern.tripCount;
    // The stacks are the only buffers that grow with the slots, by the
    // state's bytes per slot wherever they are live: the peak for c slots
    // follows from the model's timeline for one.
    Choice choice;
    choice.checkpoints = 1;
    SmallVector<int64_t> timeline, slope;
    int64_t least = predictPeak(fn, forwardIndex, choice, &timeline, &slope);
    if (least > bytes)
      return budgetError(pattern, bytes, least, unplanned, "binomial", 1);
    int64_t most = trip - 1;
    for (auto [live, perSlot] : llvm::zip(timeline, slope))
      if (perSlot > 0)
        most = std::min(most, 1 + (bytes - live) / perSlot);
    choice.checkpoints = most;
    choice.reruns = planner::binomialForwardSteps(trip, most);
    int64_t extrapolated = 0;
    for (auto [live, perSlot] : llvm::zip(timeline, slope))
      extrapolated = std::max(extrapolated, live + (most - 1) * perSlot);
    int64_t peak = predictPeak(fn, forwardIndex, choice);
    if (peak != extrapolated)
      return pattern.forward.emitError("remat-loop-checkpoint: internal "
                                       "error: ")
             << most << " checkpoints peak at " << peak
             << " bytes in the memory model, not at the " << extrapolated
             << " that one checkpoint's timeline gives";
    remarkBinomial(pattern, choice)
        << "; predicted peak " << peak << " bytes within the budget of "
        << bytes << " (unplanned " << unplanned << ")";
    return std::optional<Choice>(choice);
  }

  /// Every segment count re-runs L iterations: the least peak.
  FailureOr<std::optional<Choice>> chooseTwoLevel(StashPattern &pattern,
                                                  unsigned forwardIndex,
                                                  int64_t unplanned,
                                                  int64_t bytes) {
    auto fn = pattern.forward->getParentOfType<FunctionOpInterface>();
    int64_t trip = pattern.tripCount;
    std::optional<Choice> best;
    int64_t bestPeak = 0;
    for (int64_t segments = 2; segments <= trip / 2; ++segments) {
      if (trip % segments != 0)
        continue;
      Choice choice{LoopSchedule::TwoLevel, segments, trip};
      int64_t peak = predictPeak(fn, forwardIndex, choice);
      if (!best || peak < bestPeak) {
        best = choice;
        bestPeak = peak;
      }
    }
    if (!best)
      return pattern.forward.emitError("remat-loop-checkpoint: ")
             << "the two-level schedule cannot split " << trip
             << " iterations into at least 2 segments of at least 2";
    if (bestPeak > bytes)
      return budgetError(pattern, bytes, bestPeak, unplanned, "two-level",
                         best->checkpoints);
    emitRemark(pattern.forward.getLoc(), "remat-loop-checkpoint: ")
        << "two-level schedule, " << best->checkpoints << " checkpoints for "
        << trip << " iterations: the backward re-runs " << trip
        << " forward iterations; predicted peak " << bestPeak
        << " bytes within the budget of " << bytes << " (unplanned "
        << unplanned << ")";
    return best;
  }

  LogicalResult budgetError(StashPattern &pattern, int64_t bytes,
                            int64_t least, int64_t unplanned,
                            StringRef scheduleName, int64_t checkpoints) {
    return pattern.forward.emitError("remat-loop-checkpoint: budget of ")
           << bytes << " bytes is below the smallest feasible budget for "
           << "this loop, " << least << " bytes (" << formatBytes(least)
           << ": the " << scheduleName << " schedule with "
           << plural(checkpoints, "checkpoint") << "; the unplanned peak is "
           << unplanned
           << " bytes)";
  }
};

} // namespace
} // namespace remat
