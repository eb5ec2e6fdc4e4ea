//===- RematLoopCheckpoint.cpp - Checkpoint a stashing scf.for ------------===//
//
// A forward scf.for that stashes each iteration's activations into stacked
// tensors it carries, and a reverse scf.for that reads them back, become a
// two-level schedule: the forward keeps only the carried state at the start
// of each segment of k iterations; the backward, per segment (last first),
// re-runs the forward body from that state into a stash of k slices, then
// runs the segment's backward iterations on it. The IR stays O(1) in the trip
// count. See docs/planner.md, "Loops".
//
//===----------------------------------------------------------------------===//

#include "remat/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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

/// Builds the checkpointed loops of `pattern` with segments of `segment`
/// iterations.
class Rewriter {
public:
  Rewriter(StashPattern pattern, int64_t segment)
      : p(pattern), segment(segment),
        segments(pattern.tripCount / segment), b(pattern.forward) {
    for (auto [k, stash] : llvm::enumerate(p.isStash))
      if (!stash)
        state.push_back(k);
  }

  void run() {
    b.setInsertionPoint(p.forward);
    scf::ForOp forward = buildForward(p.forward.getLoc());
    b.setInsertionPoint(p.backward);
    buildBackward(p.backward.getLoc(), forward);
  }

private:
  /// An index constant, created once, at the start of the function.
  Value index(int64_t value) {
    Value &constant = constants[value];
    if (!constant) {
      OpBuilder top = OpBuilder::atBlockBegin(p.forward->getBlock());
      constant = arith::ConstantIndexOp::create(top, p.forward.getLoc(), value);
    }
    return constant;
  }

  /// segment * s + t.
  Value globalIndex(Location loc, Value s, Value t) {
    Value base = arith::MulIOp::create(b, loc, s, index(segment));
    return arith::AddIOp::create(b, loc, base, t);
  }

  /// scf.for 0 to `count` by 1 carrying `inits`; `body(iv, carried)`
  /// returns what to yield. Ops of the body that end up unused (what only a
  /// dropped stash read) are erased.
  template <typename Body>
  scf::ForOp buildLoop(Location loc, int64_t count, ValueRange inits,
                       Body body) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(count), index(1),
                                   inits);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> yielded =
        body(loop.getInductionVar(), loop.getRegionIterArgs());
    scf::YieldOp::create(b, loc, yielded);
    SmallVector<Operation *> ops = llvm::map_to_vector(
        loop.getBody()->without_terminator(), [](Operation &op) { return &op; });
    for (Operation *op : llvm::reverse(ops))
      if (isOpTriviallyDead(op))
        op->erase();
    return loop;
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

  /// Clones the forward body at global iteration `i` with the state bound to
  /// `current`; its stash slices go to `stashes` at `local`, or nowhere when
  /// `stashes` is empty. Returns the values to yield.
  SmallVector<Value> cloneForwardBody(Value i, ValueRange current,
                                      ValueRange stashes, Value local) {
    IRMapping mapping;
    mapping.map(p.forward.getInductionVar(), i);
    unsigned nextState = 0, nextStash = 0;
    for (auto [k, arg] : llvm::enumerate(p.forward.getRegionIterArgs())) {
      if (!p.isStash[k])
        mapping.map(arg, current[nextState++]);
      else if (!stashes.empty())
        mapping.map(arg, stashes[nextStash++]);
    }
    llvm::SmallPtrSet<Operation *, 8> inserts;
    for (tensor::InsertSliceOp insert : p.inserts)
      inserts.insert(insert);
    for (Operation &op : p.forward.getBody()->without_terminator()) {
      auto insert = dyn_cast<tensor::InsertSliceOp>(op);
      if (!insert || !inserts.contains(insert)) {
        b.clone(op, mapping);
        continue;
      }
      if (!stashes.empty())
        mapping.map(insert.getResult(),
                    insertSlice(insert.getLoc(),
                                mapping.lookup(insert.getSource()),
                                mapping.lookup(insert.getDest()), local));
    }
    SmallVector<Value> yielded;
    for (auto [k, value] : llvm::enumerate(p.forward.getYieldedValues()))
      if (!p.isStash[k] || !stashes.empty())
        yielded.push_back(mapping.lookupOrDefault(value));
    return yielded;
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
    scf::ForOp outer =
        buildLoop(loc, segments, inits, [&](Value s, ValueRange carried) {
          ValueRange current = carried.take_front(count);
          SmallVector<Value> stored;
          for (auto [value, stack] :
               llvm::zip(current, carried.drop_front(count)))
            stored.push_back(insertSlice(loc, value, stack, s));
          scf::ForOp inner = buildLoop(
              loc, segment, current, [&](Value t, ValueRange carried) {
                return cloneForwardBody(globalIndex(loc, s, t), carried, {},
                                        Value());
              });
          SmallVector<Value> yielded(inner.getResults());
          llvm::append_range(yielded, stored);
          return yielded;
        });
    for (auto [n, k] : llvm::enumerate(state))
      p.forward.getResult(k).replaceAllUsesWith(outer.getResult(n));
    return outer;
  }

  /// The backward loop over segments, last first: restore the segment's
  /// state, re-run its forward iterations into a stash of `segment` slices,
  /// run its backward iterations on that stash.
  void buildBackward(Location loc, scf::ForOp forward) {
    size_t count = state.size();
    scf::ForOp outer = buildLoop(
        loc, segments, p.backward.getInitArgs(),
        [&](Value sj, ValueRange carried) {
          Value s = arith::SubIOp::create(b, loc, index(segments - 1), sj);
          SmallVector<Value> inits;
          for (unsigned n = 0; n < count; ++n)
            inits.push_back(extractSlice(loc, forward.getResult(count + n), s,
                                         stateType(n)));
          for (auto [k, arg] : llvm::enumerate(p.forward.getRegionIterArgs()))
            if (p.isStash[k]) {
              auto type = cast<RankedTensorType>(arg.getType());
              inits.push_back(emptyStack(
                  loc, segment,
                  RankedTensorType::get(type.getShape().drop_front(),
                                        type.getElementType())));
            }
          scf::ForOp recompute = buildLoop(
              loc, segment, inits, [&](Value t, ValueRange carried) {
                return cloneForwardBody(globalIndex(loc, s, t),
                                        carried.take_front(count),
                                        carried.drop_front(count), t);
              });
          DenseMap<Value, Value> localStash;
          unsigned nextStash = 0;
          for (auto [k, result] : llvm::enumerate(p.forward.getResults()))
            if (p.isStash[k])
              localStash[result] = recompute.getResult(count + nextStash++);
          scf::ForOp inner = buildLoop(
              loc, segment, carried, [&](Value tj, ValueRange carried) {
                // Global j = segment * sj + tj reads slice L - 1 - j, which
                // is this segment's slice segment - 1 - tj.
                Value local =
                    arith::SubIOp::create(b, loc, index(segment - 1), tj);
                return cloneBackwardBody(globalIndex(loc, sj, tj), carried,
                                         localStash, local);
              });
          return SmallVector<Value>(inner.getResults());
        });
    p.backward.replaceAllUsesWith(outer.getResults());
  }

  SmallVector<Value> cloneBackwardBody(Value j, ValueRange carried,
                                       const DenseMap<Value, Value> &stash,
                                       Value local) {
    IRMapping mapping;
    mapping.map(p.backward.getInductionVar(), j);
    mapping.map(p.backward.getRegionIterArgs(), carried);
    llvm::SmallPtrSet<Operation *, 8> extracts;
    for (tensor::ExtractSliceOp extract : p.extracts)
      extracts.insert(extract);
    for (Operation &op : p.backward.getBody()->without_terminator()) {
      auto extract = dyn_cast<tensor::ExtractSliceOp>(op);
      if (!extract || !extracts.contains(extract)) {
        b.clone(op, mapping);
        continue;
      }
      mapping.map(extract.getResult(),
                  extractSlice(extract.getLoc(),
                               stash.lookup(extract.getSource()), local,
                               extract.getResultType()));
    }
    SmallVector<Value> yielded;
    for (Value value : p.backward.getYieldedValues())
      yielded.push_back(mapping.lookupOrDefault(value));
    return yielded;
  }

  StashPattern p;
  int64_t segment, segments;
  OpBuilder b;
  /// Indices of the forward loop's carried values that are no stash.
  SmallVector<unsigned> state;
  DenseMap<int64_t, Value> constants;
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

struct RematLoopCheckpointPass
    : public impl::RematLoopCheckpointBase<RematLoopCheckpointPass> {
  using RematLoopCheckpointBase::RematLoopCheckpointBase;

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
      if (!why.empty()) {
        // A loop the backward reads no stash of is no forward loop.
        if (pattern.backward || !pattern.inserts.empty())
          loop.emitWarning("remat-loop-checkpoint: loop left alone: ") << why;
        continue;
      }
      if (failed(rewrite(pattern)))
        return signalPassFailure();
      consumed.insert(pattern.backward);
    }
  }

  LogicalResult rewrite(StashPattern &pattern) {
    int64_t trip = pattern.tripCount;
    std::optional<int64_t> segment = chooseSegment(trip, checkpoints);
    if (!segment || *segment < 2 || trip / *segment < 2)
      return pattern.forward.emitError("remat-loop-checkpoint: ")
             << "cannot split " << trip << " iterations into "
             << (checkpoints ? checkpoints : trip / segment.value_or(1))
             << " segments of equal length of at least 2 iterations each; "
                "give checkpoints= a divisor of "
             << trip << " between 2 and " << trip / 2;
    Rewriter(pattern, *segment).run();
    emitRemark(pattern.forward.getLoc(), "remat-loop-checkpoint: ")
        << trip / *segment << " checkpoints, segments of " << *segment
        << " iterations: the backward re-runs " << trip
        << " forward iterations and stashes " << *segment
        << " at a time instead of " << trip;
    pattern.backward->erase();
    SmallVector<Value> inits(pattern.forward.getInitArgs());
    pattern.forward->erase();
    // The stash's empty tensors are left without users.
    for (Value init : inits)
      if (Operation *def = init.getDefiningOp(); def && isOpTriviallyDead(def))
        def->erase();
    return success();
  }
};

} // namespace
} // namespace remat
