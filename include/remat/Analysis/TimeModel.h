//===- TimeModel.h - Seconds of ops: roofline or measured -------*- C++ -*-===//
//
// What a recomputation costs in time rather than FLOPs (docs/cost-model.md):
// a roofline of per-target constants, or per-op times measured by running
// each distinct op alone (`remat-calibrate`), read from a calibration
// file. The planning passes choose with `cost=flops|roofline|measured`.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_ANALYSIS_TIMEMODEL_H
#define REMAT_ANALYSIS_TIMEMODEL_H

#include "remat/Analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace remat {

/// What the planner minimizes: FLOPs, or predicted time.
enum class CostKind { Flops, Roofline, Measured };
/// The machine a roofline predicts for.
enum class CostTarget { Cpu, Gpu };

llvm::StringRef costKindName(CostKind kind);
llvm::StringRef costTargetName(CostTarget target);
std::optional<CostKind> parseCostKind(llvm::StringRef name);
std::optional<CostTarget> parseCostTarget(llvm::StringRef name);

/// A roofline's machine: an op takes max(weighted FLOPs / flopsPerSecond,
/// bytes accessed / bytesPerSecond).
struct RooflineTarget {
  double flopsPerSecond = 0;
  double bytesPerSecond = 0;
  /// FLOPs one transcendental (exp, tanh, erf, log, pow, sin, ...) counts as.
  double transcendentalFlops = 1;
  /// FLOPs one division, remainder or square root counts as.
  double divisionFlops = 1;

  /// The documented constants of `target` (docs/cost-model.md); a positive
  /// `peakGflops` (10^9 FLOP/s) or `bandwidthGBps` (10^9 B/s) replaces its
  /// FLOP rate or its memory bandwidth.
  static RooflineTarget get(CostTarget target, double peakGflops = 0,
                            double bandwidthGBps = 0);
};

/// FLOPs of `op` (CostModel's count) with each transcendental and division of
/// its payload weighted as `target` says. `remat.flops` overrides stay as
/// given.
double getWeightedFlops(mlir::Operation *op, const CostModel &costs,
                        const RooflineTarget &target);

/// Bytes `op` reads and writes once: its tensor operands (a linalg op's
/// init only when its payload reads it) and its results; for
/// tensor.insert_slice the inserted slice, read and written. Views,
/// constants and empty tensors move nothing.
int64_t getBytesAccessed(mlir::Operation *op);

/// The roofline time of `op` in seconds. An op with regions and no model of
/// its own (an scf.for) takes the time of the ops it runs.
double getRooflineSeconds(mlir::Operation *op, const CostModel &costs,
                          const RooflineTarget &target);

/// `op` alone in a function named `name`, built with `builder`: the values
/// it reads from outside become arguments, except empty tensors, constants
/// and fills of a constant into an empty tensor (a zeroed accumulator),
/// which are cloned in, and destinations the op only overwrites (an
/// elementwise op's init, an insert_slice's dest), which are fresh empty
/// tensors: the lowering would copy a written argument, which the step does
/// not. It returns the op's results. Null when
/// the op cannot run alone as remat-run runs steps: an argument or result
/// that is not a statically shaped tensor of f32, f64, i1, i8, i16, i32 or
/// i64, no result, a free op (a view, constant or empty tensor), or an op
/// that names a symbol (a call).
mlir::func::FuncOp buildKernel(mlir::Operation *op, mlir::OpBuilder &builder,
                               llvm::StringRef name);

/// The calibration key of `op`: a hash of its kernel (buildKernel) as
/// printed without locations, so ops that compute the same thing on the
/// same shapes share one. None when the op has no kernel.
std::optional<std::string> getKernelKey(mlir::Operation *op);

/// Seconds per kernel key, measured by `remat-calibrate`:
///   {"format": "remat-calibration", "target": "cpu",
///    "kernels": [{"key": "...", "op": "linalg.matmul", "seconds": 1.2e-05,
///                 "recompute_seconds": 1.1e-05}, ...]}
/// `seconds` is the op's time in its step; the optional `recompute_seconds`
/// what recomputing it costs the step: its time less what the ops that read
/// its result save when they read it just recomputed rather than kept
/// (docs/cost-model.md); `seconds` where absent.
class Calibration {
public:
  /// Reads `path`; the error says what is wrong, where in the file.
  static llvm::Expected<Calibration> read(llvm::StringRef path);
  /// Parses calibration JSON; `path` names it in errors.
  static llvm::Expected<Calibration> parse(llvm::StringRef text,
                                           llvm::StringRef path);

  CostTarget getTarget() const { return target; }
  llvm::StringRef getPath() const { return path; }
  std::optional<double> lookup(llvm::StringRef key) const;
  std::optional<double> lookupRecompute(llvm::StringRef key) const;

private:
  std::string path;
  CostTarget target = CostTarget::Cpu;
  llvm::StringMap<double> seconds;
  llvm::StringMap<double> recomputeSeconds;
};

/// How the planning passes cost an op.
struct CostOptions {
  CostKind kind = CostKind::Flops;
  CostTarget target = CostTarget::Cpu;
  /// 0: the target's constant.
  double peakGflops = 0;
  double bandwidthGBps = 0;
  /// cost=measured's table (required then); not owned.
  const Calibration *calibration = nullptr;

  bool isTime() const { return kind != CostKind::Flops; }
};

/// Predicted seconds of each op of a function's body under cost=roofline or
/// cost=measured. Under measured, an op with no entry in the calibration
/// takes its roofline time (of the calibration's target), and a warning
/// names how many such ops there are.
class TimeModel {
public:
  TimeModel(mlir::FunctionOpInterface fn, const CostModel &costs,
            const CostOptions &options);

  /// Seconds of a top-level op of the function; 0 for free ops.
  double getSeconds(mlir::Operation *op) const {
    return seconds.lookup(op);
  }
  /// Seconds a recomputation of a top-level op costs the step: the
  /// calibration's recompute time where it has one, else getSeconds.
  double getRecomputeSeconds(mlir::Operation *op) const {
    auto it = recomputeSeconds.find(op);
    return it == recomputeSeconds.end() ? getSeconds(op) : it->second;
  }
  llvm::ArrayRef<Finding> getFindings() const { return findings; }

private:
  llvm::DenseMap<mlir::Operation *, double> seconds;
  llvm::DenseMap<mlir::Operation *, double> recomputeSeconds;
  llvm::SmallVector<Finding> findings;
};

/// Checks the cost options of a pass before it runs: empty when they are
/// usable, else the first reason they are not.
std::string checkCostOptions(CostKind kind, double peakGflops,
                             double bandwidthGBps,
                             llvm::StringRef calibration);

} // namespace remat

#endif // REMAT_ANALYSIS_TIMEMODEL_H
