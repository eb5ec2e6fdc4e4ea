//===- RematDialect.h - remat dialect ---------------------------*- C++ -*-===//
#ifndef REMAT_DIALECT_REMAT_REMATDIALECT_H
#define REMAT_DIALECT_REMAT_REMATDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "remat/Dialect/Remat/RematDialect.h.inc"

namespace remat {

/// What a `remat.recompute` writes: nothing real. The effect only makes each
/// recomputation an op of its own, which CSE does not merge with another and
/// canonicalization does not fold away (see RematOps.td).
struct RecomputeResource
    : public mlir::SideEffects::Resource::Base<RecomputeResource> {
  llvm::StringRef getName() override { return "remat.recompute"; }
};

/// Discardable attribute that `remat-inline-recompute` puts on the ops it
/// dissolves from a region: the region's number in its function. Ops with
/// different attributes are never merged by CSE.
inline constexpr llvm::StringLiteral kRecomputedAttrName = "remat.recomputed";

} // namespace remat

#define GET_OP_CLASSES
#include "remat/Dialect/Remat/RematOps.h.inc"

#endif // REMAT_DIALECT_REMAT_REMATDIALECT_H
