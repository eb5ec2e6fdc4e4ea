//===- MemorySimulator.h - Live bytes over program order --------*- C++ -*-===//
#ifndef REMAT_ANALYSIS_MEMORYSIMULATOR_H
#define REMAT_ANALYSIS_MEMORYSIMULATOR_H

#include "remat/Analysis/Finding.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"

namespace remat {

/// Ops whose result is a view of their first operand after bufferization, as
/// the op's BufferizableOpInterface model says (expand/collapse_shape,
/// extract_slice, cast, reshape, bitcast of tensor, ...), except where the
/// source's layout makes bufferize() copy after all (a collapse_shape that
/// memref.collapse_shape cannot take, a reshape of a non-identity layout).
/// An op without a model is no view: remat then counts a buffer of its own.
/// The simulator, the planning problem (isFreeOp) and the rewrite all ask
/// this, so a copy is a buffer (and a node) in each.
bool isViewLikeTensorOp(mlir::Operation *op);

/// One allocation of the bufferized program: the tensor values that will share
/// it (a value, the in-place results written into it, the views of it) and the
/// steps during which it is live.
struct Buffer {
  enum class Kind {
    /// Allocated by the step (an op result, or a tensor.empty's first writer).
    Allocation,
    /// A function argument: live for the whole step, owned by the caller.
    Argument,
    /// A constant: static data, no allocation.
    Constant,
    /// In a loop body: an iter_arg's block argument. Writable in place and
    /// live for the whole iteration; its bytes count only when the loop
    /// yields a fresh buffer for it (the previous iteration's), not when the
    /// body writes it in place (the outer buffer, counted outside).
    Carried,
    /// In a loop body: a value defined outside the loop, counted outside.
    Outer,
  };
  Kind kind = Kind::Allocation;
  int64_t bytes = 0;
  /// First and last step (indices into MemorySimulator::getSteps()) during
  /// which the buffer is live, both inclusive.
  unsigned start = 0;
  unsigned end = 0;
  /// The values it holds, the defining one first.
  llvm::SmallVector<mlir::Value, 2> values;

  bool isLiveAt(unsigned step) const { return start <= step && step <= end; }
  /// An empty tensor that nothing writes and one step reads (a pooling
  /// window): scratch memory of that step's op.
  bool isScratch() const;
  bool counts() const { return kind != Kind::Constant && kind != Kind::Outer; }
};

/// An scf.for as the model sees it (docs/memory-model.md, "Loops").
struct LoopModel {
  mlir::Operation *loop = nullptr;
  /// Static trip count, or -1 when the bounds are not constants.
  int64_t tripCount = -1;
  /// Peak bytes of one iteration's own buffers (a fresh carried value's
  /// previous buffer included); added to what is live around the loop.
  int64_t bodyPeakBytes = 0;
  /// Per iter_arg: true when the body writes it in place (the yielded value
  /// is the block argument's buffer), false when it yields a fresh buffer.
  llvm::SmallVector<bool, 4> inPlace;
};

/// Simulates the live bytes of a function's entry block over program order
/// under remat's memory model (docs/memory-model.md), which follows what
/// one-shot bufferization and the deallocation pipeline do:
///  - a destination-style op writes its result into its tied `outs` buffer
///    when no later step uses that buffer and it is not an argument or a
///    constant; otherwise into a new buffer (a copy);
///  - `tensor.empty` allocates nothing; its buffer starts at its first user;
///  - view-like tensor ops (reshape, expand/collapse_shape, extract_slice,
///    cast, bitcast) alias their source;
///  - any other op allocates a buffer per tensor result;
///  - function arguments are live for the whole step; returned values until
///    the end; every buffer is freed right after its last use, except that
///    the buffers of one multi-result op are freed together, after the last
///    use of any of them.
/// Ops of a remat.recompute region are steps of their own, as if inlined, so
/// a planned program shows its planned peak. An scf.for is one step whose
/// live bytes add the peak of one iteration, simulated as a block of its own
/// (LoopModel); other ops with regions are one step each.
class MemorySimulator {
public:
  explicit MemorySimulator(mlir::Operation *function);
  /// One iteration of an scf.for's body; `tripCount` as in LoopModel.
  MemorySimulator(mlir::Block &loopBody, int64_t tripCount);

  /// The ops simulated, in program order.
  llvm::ArrayRef<mlir::Operation *> getSteps() const { return steps; }
  llvm::ArrayRef<Buffer> getBuffers() const { return buffers; }
  /// Live bytes during each step.
  llvm::ArrayRef<int64_t> getTimeline() const { return timeline; }

  int64_t getPeakBytes() const { return peakBytes; }
  /// The first step at which the peak is reached.
  unsigned getPeakStep() const { return peakStep; }
  mlir::Operation *getPeakOp() const {
    return steps.empty() ? nullptr : steps[peakStep];
  }
  /// Bytes of the arguments, live throughout.
  int64_t getArgumentBytes() const { return argumentBytes; }

  /// The buffer holding `value`, or null for values outside the model
  /// (scalars, memrefs, tensors without a static shape).
  const Buffer *getBuffer(mlir::Value value) const;
  /// Buffers live at `step`, largest first.
  llvm::SmallVector<const Buffer *> getLiveBuffers(unsigned step) const;

  /// The scf.for steps, in program order.
  llvm::ArrayRef<LoopModel> getLoops() const { return loops; }

  /// The function's results that bufferization copies at the return (views
  /// whose buffer's layout is not the identity), one copy each: buffers of
  /// their own, allocated at the return step.
  llvm::ArrayRef<mlir::Value> getReturnCopies() const { return returnCopies; }
  /// The function's results the deallocation pipeline clones at the return
  /// (an argument or a constant returned as it is: buffers the step does
  /// not own), one clone each, made after the step's other buffers are
  /// freed.
  llvm::ArrayRef<mlir::Value> getReturnClones() const { return returnClones; }

  llvm::ArrayRef<Finding> getFindings() const { return findings; }
  /// Tensors remat could not size (dynamic shapes, sizes overflowing int64):
  /// the model counts them as 0 bytes, so no plan may rely on it.
  unsigned getNumUnsizedValues() const { return unsizedValues; }

private:
  void collectSteps(mlir::Block &block);
  void collectSteps(mlir::Block &block,
                    const llvm::SmallPtrSet<mlir::Operation *, 8> &dead);
  void computeUses();
  /// The value `value` stands for outside remat.recompute regions.
  mlir::Value resolve(mlir::Value value) const;
  void simulate(mlir::Block &block);
  void assignBuffers(mlir::Block &entry);
  void assignLoopBuffers(mlir::Operation *loop, unsigned step);
  void assignReturnCopies(mlir::Operation *ret, unsigned step);
  void settleCarried(mlir::Block &body);
  /// Whether the op at `step` may write into the buffer of `init`, its
  /// destination: ours, unwritten if empty, and read by no later step.
  bool canWriteInPlace(mlir::Value init, unsigned step) const;
  bool writeInPlace(mlir::Value init, mlir::Value result, unsigned step);
  /// Makes `value` share the buffer of `source`; false if it has none.
  bool joinBuffer(mlir::Value source, mlir::Value value);
  void reportUnsized(mlir::Location loc, const llvm::Twine &what,
                     mlir::Type type);
  void assignResultBuffer(mlir::Operation *op, unsigned step,
                          mlir::OpResult result);
  /// A buffer of `value`'s bytes from `start`; newBuffer also makes it
  /// `value`'s (addBuffer leaves `value` where it is: a return's copy).
  unsigned addBuffer(Buffer::Kind kind, mlir::Value value, unsigned start);
  unsigned newBuffer(Buffer::Kind kind, mlir::Value value, unsigned start);
  void extendLiveRanges();
  void freeTogether();
  void computeTimeline();
  /// Live bytes when the return's clones are made (0 without clones).
  int64_t returnClonesBytes() const;

  llvm::SmallVector<mlir::Operation *> steps;
  /// Values of a remat.recompute region and the values they stand for
  /// (block arguments -> kept operands, results -> yielded values).
  llvm::DenseMap<mlir::Value, mlir::Value> forwarded;
  /// First and last step that uses each (resolved) value.
  llvm::DenseMap<mlir::Value, unsigned> firstUseOf, lastUseOf;
  llvm::SmallVector<Buffer> buffers;
  llvm::DenseMap<mlir::Value, unsigned> bufferOf;
  llvm::SmallVector<int64_t> timeline;
  /// Per loop step: the peak of one iteration (added to the step's bytes).
  llvm::DenseMap<unsigned, int64_t> nestedPeak;
  /// Buffers the deallocation pipeline frees only at the end of the block: a
  /// loop's fresh carried values and their initial buffers.
  llvm::SmallVector<unsigned> heldToBlockEnd;
  llvm::SmallVector<LoopModel> loops;
  llvm::SmallVector<mlir::Value> returnCopies, returnClones;
  /// For a loop body: its trip count (LoopModel::tripCount); 0 otherwise.
  int64_t bodyTripCount = 0;
  bool isLoopBody = false;
  /// For a loop body, per iter_arg: LoopModel::inPlace.
  llvm::SmallVector<bool, 4> carriedInPlace;
  int64_t peakBytes = 0;
  unsigned peakStep = 0;
  int64_t argumentBytes = 0;
  llvm::SmallVector<Finding> findings;
  unsigned unsizedValues = 0;
};

} // namespace remat

#endif // REMAT_ANALYSIS_MEMORYSIMULATOR_H
