//===- MemorySimulator.h - Live bytes over program order --------*- C++ -*-===//
#ifndef REMAT_ANALYSIS_MEMORYSIMULATOR_H
#define REMAT_ANALYSIS_MEMORYSIMULATOR_H

#include "remat/Analysis/Finding.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"

namespace remat {

/// Ops whose result is a view of their first operand after bufferization, as
/// the op's BufferizableOpInterface model says (expand/collapse_shape,
/// extract_slice, cast, reshape, bitcast of tensor, ...). An op without a
/// model is no view: remat then counts a buffer of its own.
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
  bool counts() const { return kind != Kind::Constant; }
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
/// a planned program shows its planned peak. Other ops with regions are one
/// step each.
class MemorySimulator {
public:
  explicit MemorySimulator(mlir::Operation *function);

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

  llvm::ArrayRef<Finding> getFindings() const { return findings; }
  /// Tensors remat could not size (dynamic shapes, sizes overflowing int64):
  /// the model counts them as 0 bytes, so no plan may rely on it.
  unsigned getNumUnsizedValues() const { return unsizedValues; }

private:
  void collectSteps(mlir::Block &block);
  void computeUses();
  /// The value `value` stands for outside remat.recompute regions.
  mlir::Value resolve(mlir::Value value) const;
  void assignBuffers(mlir::Block &entry);
  void reportUnsized(mlir::Location loc, const llvm::Twine &what,
                     mlir::Type type);
  void assignResultBuffer(mlir::Operation *op, unsigned step,
                          mlir::OpResult result);
  unsigned newBuffer(Buffer::Kind kind, mlir::Value value, unsigned start);
  void extendLiveRanges();
  void freeTogether();
  void computeTimeline();

  llvm::SmallVector<mlir::Operation *> steps;
  /// Values of a remat.recompute region and the values they stand for
  /// (block arguments -> kept operands, results -> yielded values).
  llvm::DenseMap<mlir::Value, mlir::Value> forwarded;
  /// First and last step that uses each (resolved) value.
  llvm::DenseMap<mlir::Value, unsigned> firstUseOf, lastUseOf;
  llvm::SmallVector<Buffer> buffers;
  llvm::DenseMap<mlir::Value, unsigned> bufferOf;
  llvm::SmallVector<int64_t> timeline;
  int64_t peakBytes = 0;
  unsigned peakStep = 0;
  int64_t argumentBytes = 0;
  llvm::SmallVector<Finding> findings;
  unsigned unsizedValues = 0;
};

} // namespace remat

#endif // REMAT_ANALYSIS_MEMORYSIMULATOR_H
