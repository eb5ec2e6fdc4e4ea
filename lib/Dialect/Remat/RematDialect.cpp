//===- RematDialect.cpp - remat dialect and ops ---------------------------===//

#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace remat;

#include "remat/Dialect/Remat/RematDialect.cpp.inc"

void RematDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "remat/Dialect/Remat/RematOps.cpp.inc"
      >();
}

/// `remat.flops` overrides an op's FLOPs (CostModel): a count, so an integer
/// from 0 to INT64_MAX. Other `remat.*` attributes are free-form.
LogicalResult RematDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  if (attr.getName() != "remat.flops")
    return success();
  auto flops = dyn_cast<IntegerAttr>(attr.getValue());
  if (!flops || !flops.getType().isSignlessInteger())
    return op->emitError("'remat.flops' must be an integer (a FLOP count), "
                         "got ")
           << attr.getValue();
  const APInt &value = flops.getValue();
  if (value.getBitWidth() > 1 && value.isNegative())
    return op->emitError("'remat.flops' must not be negative, got ")
           << flops;
  if (value.getActiveBits() > 63)
    return op->emitError("'remat.flops' must be at most INT64_MAX");
  return success();
}

//===----------------------------------------------------------------------===//
// RecomputeOp
//===----------------------------------------------------------------------===//

void RecomputeOp::build(OpBuilder &builder, OperationState &state,
                        TypeRange resultTypes, ValueRange kept) {
  state.addOperands(kept);
  state.addTypes(resultTypes);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value v : kept)
    block->addArgument(v.getType(), v.getLoc());
}

// Format: remat.recompute (%arg = %kept, ...) : (kept types) -> result types
//           attr-dict { body }
ParseResult RecomputeOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::Argument> regionArgs;
  SmallVector<OpAsmParser::UnresolvedOperand> operands;
  if (parser.parseAssignmentList(regionArgs, operands))
    return failure();
  FunctionType fnType;
  llvm::SMLoc typeLoc = parser.getCurrentLocation();
  if (parser.parseColonType(fnType))
    return failure();
  if (fnType.getNumInputs() != operands.size())
    return parser.emitError(typeLoc)
           << "expected " << operands.size() << " kept types, got "
           << fnType.getNumInputs();
  for (auto [arg, type] : llvm::zip(regionArgs, fnType.getInputs()))
    arg.type = type;
  if (parser.resolveOperands(operands, fnType.getInputs(), typeLoc,
                             result.operands))
    return failure();
  result.addTypes(fnType.getResults());
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, regionArgs))
    return failure();
  RecomputeOp::ensureTerminator(*body, parser.getBuilder(), result.location);
  return success();
}

void RecomputeOp::print(OpAsmPrinter &p) {
  p << " (";
  llvm::interleaveComma(
      llvm::zip(getBody().getArguments(), getKept()), p, [&](auto pair) {
        p << std::get<0>(pair) << " = " << std::get<1>(pair);
      });
  p << ") : ";
  p.printFunctionalType(getKept().getTypes(), getResultTypes());
  p.printOptionalAttrDictWithKeyword((*this)->getAttrs());
  p << ' ';
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                /*printBlockTerminators=*/true);
}

LogicalResult RecomputeOp::verify() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getKept().size())
    return emitOpError("body has ")
           << block.getNumArguments() << " arguments but the op keeps "
           << getKept().size() << " values";
  for (auto [i, arg, kept] :
       llvm::enumerate(block.getArguments(), getKept()))
    if (arg.getType() != kept.getType())
      return emitOpError("body argument #")
             << i << " has type " << arg.getType()
             << " but the kept value has type " << kept.getType();
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().size() != getNumResults())
    return yield.emitOpError("yields ")
           << yield.getValues().size() << " values but the parent has "
           << getNumResults() << " results";
  for (auto [i, yielded, result] :
       llvm::enumerate(yield.getValues().getTypes(), getResultTypes()))
    if (yielded != result)
      return yield.emitOpError("value #")
             << i << " has type " << yielded << " but result #" << i
             << " of the parent has type " << result;
  return success();
}

#define GET_OP_CLASSES
#include "remat/Dialect/Remat/RematOps.cpp.inc"
