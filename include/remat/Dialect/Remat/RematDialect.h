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

#define GET_OP_CLASSES
#include "remat/Dialect/Remat/RematOps.h.inc"

#endif // REMAT_DIALECT_REMAT_REMATDIALECT_H
