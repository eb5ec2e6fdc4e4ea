//===- CostModel.cpp - Bytes of values, FLOPs of ops ----------------------===//
//
// FLOPs come from CostOpInterface, attached here to the upstream dialects a
// training step is written in. The formulas are the usual ones: a linalg op
// costs its iteration-space size times the arithmetic ops of its payload
// (2MNK for a matmul), elementwise ops one per result element, data movement
// nothing (but its bytes are noted).
//
//===----------------------------------------------------------------------===//

#include "remat/Analysis/CostModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

#include "remat/Analysis/CostModelInterface.cpp.inc"

namespace remat {

/// Bytes one element takes in memory as remat's lowering stores it: LLVM's
/// allocation size of the element type, which memref-to-llvm uses to size
/// buffers. Sub-byte types are not packed: `i1` takes a byte, `i4` a byte;
/// other widths round up to a power of two bytes (`i24` takes 4); `index` is
/// 64 bits; a complex number twice its part.
static std::optional<int64_t> getElementBytes(Type type) {
  if (type.isIndex())
    return 8;
  if (type.isIntOrFloat())
    return int64_t(
        llvm::PowerOf2Ceil(llvm::divideCeil(type.getIntOrFloatBitWidth(), 8)));
  if (auto complex = dyn_cast<ComplexType>(type))
    if (std::optional<int64_t> part = getElementBytes(complex.getElementType()))
      return 2 * *part;
  return std::nullopt;
}

std::optional<int64_t> getStaticBytes(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type)) {
    if (!tensor.hasStaticShape())
      return std::nullopt;
    std::optional<int64_t> bytes = getElementBytes(tensor.getElementType());
    if (!bytes)
      return std::nullopt;
    // Shapes whose byte size does not fit in int64 cannot be sized.
    for (int64_t extent : tensor.getShape())
      if (llvm::MulOverflow(*bytes, extent, *bytes))
        return std::nullopt;
    return bytes;
  }
  if (isa<ShapedType>(type))
    return std::nullopt;
  return getElementBytes(type);
}

bool isTooLargeToSize(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() &&
         getElementBytes(tensor.getElementType()) && !getStaticBytes(type);
}

/// Elements of a statically shaped tensor; 1 for a scalar; 0 when unknown.
static int64_t getNumElements(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped)
    return 1;
  if (!shaped.hasStaticShape())
    return 0;
  int64_t elements = 1;
  for (int64_t extent : shaped.getShape())
    if (llvm::MulOverflow(elements, extent, elements))
      return 0;
  return elements;
}

static int64_t getResultElements(Operation *op) {
  int64_t total = 0;
  for (Type type : op->getResultTypes())
    total += getNumElements(type);
  return total;
}

static int64_t getResultBytes(Operation *op) {
  int64_t total = 0;
  for (Type type : op->getResultTypes())
    total += getStaticBytes(type).value_or(0);
  return total;
}

namespace {

//===----------------------------------------------------------------------===//
// linalg
//===----------------------------------------------------------------------===//

/// Arithmetic ops in a linalg payload; index, constant and yield ops do none.
static int64_t countPayloadOps(linalg::LinalgOp op) {
  int64_t count = 0;
  for (Operation &nested : op.getBlock()->without_terminator())
    if (!isa<linalg::IndexOp>(nested) && !nested.hasTrait<OpTrait::ConstantLike>())
      ++count;
  return count;
}

template <typename OpTy>
struct LinalgCostModel
    : public CostOpInterface::ExternalModel<LinalgCostModel<OpTy>, OpTy> {
  int64_t getFlops(Operation *op) const {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    int64_t payload = countPayloadOps(linalgOp);
    if (payload == 0)
      return 0;
    int64_t iterations = 1;
    for (int64_t range : linalgOp.getStaticLoopRanges()) {
      if (ShapedType::isDynamic(range))
        return 0;
      iterations *= range;
    }
    return iterations * payload;
  }
  int64_t getBytesMoved(Operation *op) const {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    // Copies, transposes, broadcasts and fills move data without arithmetic.
    return countPayloadOps(linalgOp) == 0 ? getResultBytes(op) : 0;
  }
};

/// linalg.softmax: max, subtract, exp, sum and divide per element.
struct SoftmaxCostModel
    : public CostOpInterface::ExternalModel<SoftmaxCostModel,
                                            linalg::SoftmaxOp> {
  int64_t getFlops(Operation *op) const { return 5 * getResultElements(op); }
};

template <typename... Ops>
static void attachLinalg(MLIRContext *ctx) {
  (Ops::template attachInterface<LinalgCostModel<Ops>>(*ctx), ...);
}

//===----------------------------------------------------------------------===//
// arith, math: one operation per result element
//===----------------------------------------------------------------------===//

template <typename OpTy>
struct ElementwiseCostModel
    : public CostOpInterface::ExternalModel<ElementwiseCostModel<OpTy>, OpTy> {
  int64_t getFlops(Operation *op) const {
    if (isa<arith::ConstantOp>(op))
      return 0;
    return getResultElements(op);
  }
};

template <typename... Ops>
static void attachElementwise(MLIRContext *ctx) {
  (Ops::template attachInterface<ElementwiseCostModel<Ops>>(*ctx), ...);
}

//===----------------------------------------------------------------------===//
// tensor: views and data movement, no arithmetic
//===----------------------------------------------------------------------===//

template <typename OpTy>
struct TensorCostModel
    : public CostOpInterface::ExternalModel<TensorCostModel<OpTy>, OpTy> {
  int64_t getFlops(Operation *) const { return 0; }
  int64_t getBytesMoved(Operation *op) const {
    if (isa<tensor::EmptyOp, tensor::CastOp, tensor::ExpandShapeOp,
            tensor::CollapseShapeOp, tensor::ExtractSliceOp,
            tensor::ReshapeOp, tensor::BitcastOp, tensor::DimOp,
            tensor::RankOp>(op))
      return 0;
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(op))
      return getStaticBytes(insert.getSourceType()).value_or(0);
    return getResultBytes(op);
  }
};

template <typename... Ops>
static void attachTensor(MLIRContext *ctx) {
  (Ops::template attachInterface<TensorCostModel<Ops>>(*ctx), ...);
}

//===----------------------------------------------------------------------===//
// tosa
//===----------------------------------------------------------------------===//

static int64_t getOperandElements(Operation *op, unsigned index) {
  if (index >= op->getNumOperands())
    return 0;
  return getNumElements(op->getOperand(index).getType());
}

static int64_t getDim(Operation *op, unsigned index, unsigned dim) {
  auto shaped = dyn_cast<ShapedType>(op->getOperand(index).getType());
  if (!shaped || !shaped.hasRank() || dim >= shaped.getRank() ||
      shaped.isDynamicDim(dim))
    return 0;
  return shaped.getDimSize(dim);
}

static int64_t getTosaFlops(Operation *op) {
  int64_t out = getResultElements(op);
  // matmul [N,H,C] x [N,C,W]: a multiply and an add per output and C.
  if (isa<tosa::MatMulOp>(op))
    return 2 * out * getDim(op, 0, 2);
  // conv2d weights [OC,KH,KW,IC]: each output reads KH*KW*IC weights.
  if (isa<tosa::Conv2DOp, tosa::TransposeConv2DOp>(op)) {
    int64_t oc = getDim(op, 1, 0);
    return oc ? 2 * out * (getOperandElements(op, 1) / oc) : 0;
  }
  // conv3d weights [OC,KD,KH,KW,IC].
  if (isa<tosa::Conv3DOp>(op)) {
    int64_t oc = getDim(op, 1, 0);
    return oc ? 2 * out * (getOperandElements(op, 1) / oc) : 0;
  }
  // depthwise weights [KH,KW,C,M]: each output reads KH*KW weights.
  if (isa<tosa::DepthwiseConv2DOp>(op))
    return 2 * out * getDim(op, 1, 0) * getDim(op, 1, 1);
  if (isa<tosa::ConstOp, tosa::ReshapeOp, tosa::TransposeOp, tosa::SliceOp,
          tosa::ConcatOp, tosa::PadOp, tosa::TileOp, tosa::GatherOp,
          tosa::ScatterOp, tosa::IdentityOp, tosa::ReverseOp, tosa::CastOp,
          tosa::ConstShapeOp>(op))
    return 0;
  // Reductions and pooling read every input element; elementwise ops
  // produce one per output element.
  return std::max(out, getOperandElements(op, 0));
}

template <typename OpTy>
struct TosaCostModel
    : public CostOpInterface::ExternalModel<TosaCostModel<OpTy>, OpTy> {
  int64_t getFlops(Operation *op) const { return getTosaFlops(op); }
  int64_t getBytesMoved(Operation *op) const {
    if (isa<tosa::ConstOp, tosa::ConstShapeOp, tosa::ReshapeOp,
            tosa::IdentityOp>(op))
      return 0;
    return getTosaFlops(op) == 0 ? getResultBytes(op) : 0;
  }
};

template <typename... Ops>
static void attachTosa(MLIRContext *ctx) {
  (Ops::template attachInterface<TosaCostModel<Ops>>(*ctx), ...);
}

} // namespace

void registerCostModelExternalModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    attachLinalg<
#define GET_OP_LIST
#include "mlir/Dialect/Linalg/IR/LinalgStructuredOps.cpp.inc"
        >(ctx);
    linalg::SoftmaxOp::attachInterface<SoftmaxCostModel>(*ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, arith::ArithDialect *) {
    attachElementwise<
#define GET_OP_LIST
#include "mlir/Dialect/Arith/IR/ArithOps.cpp.inc"
        >(ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, math::MathDialect *) {
    attachElementwise<
#define GET_OP_LIST
#include "mlir/Dialect/Math/IR/MathOps.cpp.inc"
        >(ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, tensor::TensorDialect *) {
    attachTensor<
#define GET_OP_LIST
#include "mlir/Dialect/Tensor/IR/TensorOps.cpp.inc"
        >(ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, tosa::TosaDialect *) {
    attachTosa<
#define GET_OP_LIST
#include "mlir/Dialect/Tosa/IR/TosaOps.cpp.inc"
        >(ctx);
  });
}

//===----------------------------------------------------------------------===//
// CostModel
//===----------------------------------------------------------------------===//

CostModel::CostModel(Operation *root) {
  auto visitBody = [&](Region &region) {
    for (Operation &op : region.getOps())
      computeFlops(&op);
  };
  if (auto fn = dyn_cast<FunctionOpInterface>(root)) {
    visitBody(fn.getFunctionBody());
    return;
  }
  for (Region &region : root->getRegions())
    visitBody(region);
}

int64_t CostModel::computeFlops(Operation *op) {
  int64_t result;
  if (auto attr = op->getAttrOfType<IntegerAttr>(kFlopsAttrName)) {
    // The remat dialect's verifier rejects negative and oversized counts;
    // IR that was never verified still gets a count in [0, INT64_MAX].
    const APInt &value = attr.getValue();
    result = value.isNegative()           ? 0
             : value.getActiveBits() > 63 ? INT64_MAX
                                          : value.getSExtValue();
  } else if (auto costOp = dyn_cast<CostOpInterface>(op)) {
    result = costOp.getFlops();
  } else if (op->getNumRegions() > 0) {
    // A region op without its own model costs what it runs, once; an
    // scf.for with constant bounds, once per iteration.
    result = 0;
    for (Region &region : op->getRegions())
      for (Operation &nested : region.getOps())
        result = addFlops(result, computeFlops(&nested));
    if (auto loop = dyn_cast<scf::ForOp>(op))
      if (std::optional<APInt> trip = loop.getStaticTripCount();
          trip && trip->isIntN(63) &&
          llvm::MulOverflow(result, int64_t(trip->getZExtValue()), result))
        result = INT64_MAX;
  } else if (op->hasTrait<OpTrait::IsTerminator>() ||
             op->getNumResults() == 0) {
    result = 0;
  } else {
    result = getResultElements(op);
    findings.push_back(
        {Finding::Kind::Remark, op->getLoc(),
         ("no cost model for '" + op->getName().getStringRef() +
          "'; estimated " + llvm::Twine(result) +
          " FLOPs, one per result element (set the 'remat.flops' attribute "
          "to override)")
             .str()});
  }
  flops[op] = result;
  return result;
}

int64_t CostModel::getFlops(Operation *op) const {
  return flops.lookup(op);
}

int64_t CostModel::getBytesMoved(Operation *op) const {
  if (auto costOp = dyn_cast<CostOpInterface>(op))
    return costOp.getBytesMoved();
  return 0;
}

int64_t CostModel::getBytes(Value value) const {
  return getStaticBytes(value.getType()).value_or(0);
}

} // namespace remat
