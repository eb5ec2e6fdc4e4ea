//===- TimeModel.cpp - Seconds of ops: roofline or measured ---------------===//
//
// A FLOP is not a unit of time: an elementwise op moves far more bytes per
// FLOP than a matmul, and an exp or an erf costs many FLOPs' worth of
// instructions. The roofline weighs both; the calibration measures each
// distinct op alone, lowered by the same pipeline as the step.
//
//===----------------------------------------------------------------------===//

#include "remat/Analysis/TimeModel.h"

#include "remat/Analysis/MemorySimulator.h"
#include "remat/Analysis/PlanningProblem.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/xxhash.h"

#include <cmath>

using namespace mlir;

namespace remat {

llvm::StringRef costKindName(CostKind kind) {
  switch (kind) {
  case CostKind::Flops:
    return "flops";
  case CostKind::Roofline:
    return "roofline";
  case CostKind::Measured:
    return "measured";
  }
  llvm_unreachable("unknown cost kind");
}

llvm::StringRef costTargetName(CostTarget target) {
  return target == CostTarget::Gpu ? "gpu" : "cpu";
}

std::optional<CostKind> parseCostKind(llvm::StringRef name) {
  for (CostKind kind : {CostKind::Flops, CostKind::Roofline, CostKind::Measured})
    if (name == costKindName(kind))
      return kind;
  return std::nullopt;
}

std::optional<CostTarget> parseCostTarget(llvm::StringRef name) {
  for (CostTarget target : {CostTarget::Cpu, CostTarget::Gpu})
    if (name == costTargetName(target))
      return target;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Roofline
//===----------------------------------------------------------------------===//

RooflineTarget RooflineTarget::get(CostTarget target, double peakGflops,
                                   double bandwidthGBps) {
  RooflineTarget result;
  if (target == CostTarget::Gpu) {
    // An H100 SXM without tensor cores: 67 TFLOP/s fp32, 3.35 TB/s HBM3. An
    // SFU op (ex2, tanh.approx) issues at 1/8 of the FMA rate (16 FLOPs);
    // a correctly rounded division is a dozen instructions.
    result = {67e12, 3.35e12, 16, 8};
  } else {
    // Two x86 cores at 2.5 GHz with two 256-bit FMA pipes (2 x 2 x 8 lanes
    // x 2 FLOPs x 2.5 GHz = 160 GFLOP/s) and 20 GB/s of DRAM bandwidth; a
    // vectorized exp/tanh/erf polynomial is about 20 FLOPs, a division 4.
    result = {160e9, 20e9, 20, 4};
  }
  if (peakGflops > 0)
    result.flopsPerSecond = peakGflops * 1e9;
  if (bandwidthGBps > 0)
    result.bytesPerSecond = bandwidthGBps * 1e9;
  return result;
}

/// FLOPs one scalar op of a payload (or one element of an elementwise op)
/// counts as.
static double getOpWeight(Operation *op, const RooflineTarget &target) {
  if (isa<math::SqrtOp, math::RsqrtOp, math::CbrtOp, arith::DivFOp,
          arith::RemFOp, arith::DivSIOp, arith::DivUIOp, arith::RemSIOp,
          arith::RemUIOp, arith::CeilDivSIOp, arith::CeilDivUIOp,
          arith::FloorDivSIOp>(op))
    return target.divisionFlops;
  if (isa<math::AbsFOp, math::AbsIOp, math::CeilOp, math::FloorOp,
          math::RoundOp, math::RoundEvenOp, math::TruncOp, math::CopySignOp,
          math::FmaOp, math::ClampFOp, math::CountLeadingZerosOp,
          math::CountTrailingZerosOp, math::CtPopOp, math::IsNaNOp,
          math::IsInfOp, math::IsFiniteOp, math::IsNormalOp, math::IPowIOp>(
          op))
    return 1;
  if (isa_and_nonnull<math::MathDialect>(op->getDialect()))
    return target.transcendentalFlops;
  // tosa's elementwise transcendentals, by name: their classes need no
  // include for a weight.
  static constexpr llvm::StringLiteral transcendentals[] = {
      "tosa.exp", "tosa.log", "tosa.tanh", "tosa.sigmoid",
      "tosa.erf", "tosa.pow", "tosa.sin",  "tosa.cos"};
  static constexpr llvm::StringLiteral divisions[] = {
      "tosa.reciprocal", "tosa.rsqrt", "tosa.intdiv"};
  llvm::StringRef name = op->getName().getStringRef();
  if (llvm::is_contained(transcendentals, name))
    return target.transcendentalFlops;
  if (llvm::is_contained(divisions, name))
    return target.divisionFlops;
  return 1;
}

/// The trip count of a loop with constant bounds; 1 for other region ops.
static double getTripCount(Operation *op) {
  if (auto loop = dyn_cast<scf::ForOp>(op))
    if (std::optional<APInt> trip = loop.getStaticTripCount();
        trip && trip->isIntN(63))
      return double(trip->getZExtValue());
  return 1;
}

/// Ops whose time is the time of the ops in their regions.
static bool isRegionCost(Operation *op) {
  return op->getNumRegions() > 0 && !op->hasAttr(kFlopsAttrName) &&
         !isa<CostOpInterface>(op);
}

double getWeightedFlops(Operation *op, const CostModel &costs,
                        const RooflineTarget &target) {
  double flops = double(costs.getFlops(op));
  if (flops == 0 || op->hasAttr(kFlopsAttrName))
    return flops;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    // CostModel counts iterations x payload ops: reweigh the payload.
    double count = 0, weighted = 0;
    for (Operation &nested : linalgOp.getBlock()->without_terminator()) {
      if (isa<linalg::IndexOp>(nested) ||
          nested.hasTrait<OpTrait::ConstantLike>())
        continue;
      count += 1;
      weighted += getOpWeight(&nested, target);
    }
    return count > 0 ? flops / count * weighted : flops;
  }
  // max, subtract, exp, sum and divide per element (CostModel's 5).
  if (isa<linalg::SoftmaxOp>(op))
    return flops / 5 *
           (3 + target.transcendentalFlops + target.divisionFlops);
  if (isRegionCost(op)) {
    double total = 0;
    for (Region &region : op->getRegions())
      for (Operation &nested : region.getOps())
        total += getWeightedFlops(&nested, costs, target);
    return total * getTripCount(op);
  }
  return flops * getOpWeight(op, target);
}

static int64_t getTensorBytes(Value value) {
  return isa<TensorType>(value.getType())
             ? getStaticBytes(value.getType()).value_or(0)
             : 0;
}

int64_t getBytesAccessed(Operation *op) {
  if (isFreeOp(op) || op->hasTrait<OpTrait::IsTerminator>())
    return 0;
  if (auto insert = dyn_cast<tensor::InsertSliceOp>(op))
    return 2 * getTensorBytes(insert.getSource());
  int64_t total = 0;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  auto dps = dyn_cast<DestinationStyleOpInterface>(op);
  for (OpOperand &operand : op->getOpOperands()) {
    // A destination is written (counted as the result), read only when a
    // linalg payload uses its value (accumulation).
    if (dps && dps.isDpsInit(&operand) &&
        !(linalgOp && linalgOp.payloadUsesValueFromOperand(&operand)))
      continue;
    total += getTensorBytes(operand.get());
  }
  for (Value result : op->getResults())
    total += getTensorBytes(result);
  return total;
}

double getRooflineSeconds(Operation *op, const CostModel &costs,
                          const RooflineTarget &target) {
  if (isRegionCost(op)) {
    double total = 0;
    for (Region &region : op->getRegions())
      for (Operation &nested : region.getOps())
        total += getRooflineSeconds(&nested, costs, target);
    return total * getTripCount(op);
  }
  return std::max(getWeightedFlops(op, costs, target) / target.flopsPerSecond,
                  double(getBytesAccessed(op)) / target.bytesPerSecond);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// A type remat-run can feed or return: a static tensor of an element type
/// its StepMain knows (tools/remat-run/remat-run.py, ELEMENT_TYPES).
static bool isRunnableType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || tensor.getRank() > 8)
    return false;
  Type element = tensor.getElementType();
  return element.isF32() || element.isF64() ||
         llvm::any_of(llvm::ArrayRef<unsigned>{1, 8, 16, 32, 64},
                      [&](unsigned width) {
                        return element.isSignlessInteger(width);
                      });
}

/// Free ops without operands (empty tensors, constants) are cloned into a
/// kernel rather than passed to it.
static bool isClonedIntoKernel(Operation *def) {
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         isFreeOp(def);
}

/// The ops that make `value` when it is a fill of a constant into an empty
/// tensor (a matmul's zeroed accumulator), in order; empty otherwise.
static SmallVector<Operation *> getConstantFill(Value value) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return {};
  Operation *scalar = fill.getInputs()[0].getDefiningOp();
  Operation *empty = fill.getOutputs()[0].getDefiningOp();
  if (!isClonedIntoKernel(scalar) || !isClonedIntoKernel(empty))
    return {};
  return {scalar, empty, fill};
}

/// Whether `op` only overwrites `value`: every use of it by `op` is a
/// destination whose contents the op does not read (an elementwise linalg
/// op's init, an insert_slice's dest outside the slice stays as it is, but
/// that costs nothing).
static bool isOnlyOverwritten(Value value, Operation *op) {
  auto dps = dyn_cast<DestinationStyleOpInterface>(op);
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!dps || (!linalgOp && !isa<tensor::InsertSliceOp>(op)))
    return false;
  return llvm::all_of(op->getOpOperands(), [&](OpOperand &operand) {
    return operand.get() != value ||
           (dps.isDpsInit(&operand) &&
            !(linalgOp && linalgOp.payloadUsesValueFromOperand(&operand)));
  });
}

func::FuncOp buildKernel(Operation *op, OpBuilder &builder,
                         llvm::StringRef name) {
  // A symbol the op names (a callee) is not in the kernel's module.
  auto namesSymbol = [](NamedAttribute attr) {
    return isa<SymbolRefAttr>(attr.getValue());
  };
  if (isFreeOp(op) || op->hasTrait<OpTrait::IsTerminator>() ||
      op->getNumResults() == 0 ||
      !llvm::all_of(op->getResultTypes(), isRunnableType) ||
      llvm::any_of(op->getAttrs(), namesSymbol))
    return nullptr;
  llvm::SetVector<Value> read(op->getOperands().begin(),
                              op->getOperands().end());
  getUsedValuesDefinedAbove(op->getRegions(), read);
  // A destination the step's op writes in place must not be an argument:
  // the lowering copies a written argument first (arguments are read-only),
  // a copy the step does not make. A zeroed accumulator is made in the
  // kernel as in the step; a destination the op only overwrites is a fresh
  // empty tensor.
  SmallVector<Value> arguments, fresh;
  llvm::SetVector<Operation *> cloned;
  for (Value value : read) {
    Operation *def = value.getDefiningOp();
    if (isClonedIntoKernel(def)) {
      cloned.insert(def);
    } else if (SmallVector<Operation *> fill = getConstantFill(value);
               !fill.empty()) {
      cloned.insert(fill.begin(), fill.end());
    } else if (!isRunnableType(value.getType())) {
      return nullptr;
    } else if (isOnlyOverwritten(value, op)) {
      fresh.push_back(value);
    } else {
      arguments.push_back(value);
    }
  }
  Location loc = builder.getUnknownLoc();
  auto fn = func::FuncOp::create(
      builder, loc, name,
      builder.getFunctionType(ValueRange(arguments).getTypes(),
                              op->getResultTypes()));
  Block *body = fn.addEntryBlock();
  IRMapping mapping;
  mapping.map(arguments, body->getArguments());
  OpBuilder inside = OpBuilder::atBlockEnd(body);
  for (Value value : fresh) {
    auto type = cast<RankedTensorType>(value.getType());
    mapping.map(value, tensor::EmptyOp::create(inside, loc, type.getShape(),
                                               type.getElementType()));
  }
  for (Operation *def : cloned)
    inside.clone(*def, mapping);
  Operation *copy = inside.clone(*op, mapping);
  // remat's own annotations (policies, FLOP overrides, the marks of
  // dissolved recomputations) change nothing the lowering does, on the op or
  // on what is cloned in with it.
  for (Operation &kernelOp : *body)
    for (NamedAttribute attr :
         llvm::to_vector(kernelOp.getDiscardableAttrs()))
      if (attr.getName().strref().starts_with("remat."))
        kernelOp.removeDiscardableAttr(attr.getName());
  func::ReturnOp::create(inside, loc, copy->getResults());
  return fn;
}

std::optional<std::string> getKernelKey(Operation *op) {
  OpBuilder builder(op->getContext());
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(builder.getUnknownLoc());
  builder.setInsertionPointToEnd(scratch->getBody());
  func::FuncOp kernel = buildKernel(op, builder, "kernel");
  if (!kernel)
    return std::nullopt;
  std::string text;
  llvm::raw_string_ostream os(text);
  // The same text whatever printing flags remat-opt was given
  // (--mlir-print-debuginfo would put locations into every key).
  kernel->print(os, OpPrintingFlags()
                        .useLocalScope()
                        .enableDebugInfo(false)
                        .printGenericOpForm(false));
  std::string key;
  llvm::raw_string_ostream keyOs(key);
  keyOs << llvm::format_hex_no_prefix(llvm::xxh3_64bits(text), 16);
  return key;
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

static llvm::Error calibrationError(llvm::StringRef path,
                                    const llvm::Twine &message) {
  return llvm::createStringError("calibration file '" + path + "': " +
                                 message);
}

llvm::Expected<Calibration> Calibration::read(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return calibrationError(path, "cannot read it: " +
                                      buffer.getError().message() +
                                      " (write it with remat-calibrate)");
  return parse((*buffer)->getBuffer(), path);
}

llvm::Expected<Calibration> Calibration::parse(llvm::StringRef text,
                                               llvm::StringRef path) {
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return calibrationError(path, "not JSON: " + toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getString("format") != "remat-calibration")
    return calibrationError(
        path, "not a calibration: expected an object with \"format\": "
              "\"remat-calibration\"");
  Calibration result;
  result.path = path.str();
  std::optional<llvm::StringRef> targetName = root->getString("target");
  std::optional<CostTarget> target =
      targetName ? parseCostTarget(*targetName) : std::nullopt;
  if (!target)
    return calibrationError(path, "\"target\" must be \"cpu\" or \"gpu\"");
  result.target = *target;
  const llvm::json::Array *kernels = root->getArray("kernels");
  if (!kernels)
    return calibrationError(path, "no \"kernels\" array");
  for (auto [index, entry] : llvm::enumerate(*kernels)) {
    const llvm::json::Object *kernel = entry.getAsObject();
    std::optional<llvm::StringRef> key =
        kernel ? kernel->getString("key") : std::nullopt;
    std::optional<double> seconds =
        kernel ? kernel->getNumber("seconds") : std::nullopt;
    if (!key || !seconds || !std::isfinite(*seconds) || *seconds < 0)
      return calibrationError(
          path, "kernel " + llvm::Twine(index) +
                    " needs a \"key\" string and \"seconds\", a finite "
                    "number of at least 0");
    result.seconds[*key] = *seconds;
    const llvm::json::Value *recompute = kernel->get("recompute_seconds");
    if (!recompute)
      continue;
    std::optional<double> recomputeTime = recompute->getAsNumber();
    if (!recomputeTime || !std::isfinite(*recomputeTime) || *recomputeTime < 0)
      return calibrationError(path, "kernel " + llvm::Twine(index) +
                                        ": \"recompute_seconds\" must be a "
                                        "finite number of at least 0");
    result.recomputeSeconds[*key] = *recomputeTime;
  }
  return result;
}

static std::optional<double> lookupIn(const llvm::StringMap<double> &map,
                                      llvm::StringRef key) {
  auto it = map.find(key);
  if (it == map.end())
    return std::nullopt;
  return it->second;
}

std::optional<double> Calibration::lookup(llvm::StringRef key) const {
  return lookupIn(seconds, key);
}

std::optional<double>
Calibration::lookupRecompute(llvm::StringRef key) const {
  return lookupIn(recomputeSeconds, key);
}

//===----------------------------------------------------------------------===//
// TimeModel
//===----------------------------------------------------------------------===//

TimeModel::TimeModel(FunctionOpInterface fn, const CostModel &costs,
                     const CostOptions &options) {
  const Calibration *calibration =
      options.kind == CostKind::Measured ? options.calibration : nullptr;
  RooflineTarget target = RooflineTarget::get(
      calibration ? calibration->getTarget() : options.target,
      options.peakGflops, options.bandwidthGBps);
  Operation *firstMissing = nullptr;
  int missing = 0;
  for (Operation &op : fn.getFunctionBody().getOps()) {
    if (isFreeOp(&op) || op.hasTrait<OpTrait::IsTerminator>())
      continue;
    double time = getRooflineSeconds(&op, costs, target);
    if (calibration) {
      std::optional<std::string> key = getKernelKey(&op);
      std::optional<double> measured =
          key ? calibration->lookup(*key) : std::nullopt;
      if (measured) {
        time = *measured;
        if (std::optional<double> recompute =
                calibration->lookupRecompute(*key))
          recomputeSeconds[&op] = *recompute;
      } else if (key) {
        firstMissing = firstMissing ? firstMissing : &op;
        ++missing;
      }
    }
    seconds[&op] = time;
  }
  if (firstMissing)
    findings.push_back(
        {Finding::Kind::Warning, firstMissing->getLoc(),
         (llvm::Twine(missing) + " op(s) of @" + fn.getName() +
          " have no measured time in '" + calibration->getPath() +
          "' (this '" + firstMissing->getName().getStringRef() +
          "' is the first); they cost their roofline time: `remat-calibrate "
          "-o " +
          calibration->getPath() + " STEP.mlir` measures them")
             .str()});
}

std::string checkCostOptions(CostKind kind, double peakGflops,
                             double bandwidthGBps,
                             llvm::StringRef calibration) {
  for (auto [name, value] : {std::pair{"peak-gflops", peakGflops},
                             std::pair{"bandwidth-gbps", bandwidthGBps}})
    if (!std::isfinite(value) || value < 0)
      return std::string(name) +
             " must be a finite number of at least 0 (0: the target's), got " +
             std::to_string(value);
  if (kind == CostKind::Measured && calibration.empty())
    return "cost=measured needs calibration=FILE, the per-op times "
           "`remat-calibrate -o FILE STEP.mlir` measures";
  if (kind != CostKind::Measured && !calibration.empty())
    return "calibration= is read with cost=measured only, got cost=" +
           costKindName(kind).str();
  return "";
}

} // namespace remat
