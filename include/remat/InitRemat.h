//===- InitRemat.h - remat's entry points for host compilers ----*- C++ -*-===//
//
// What a compiler that links remat as a library calls, once, to get what
// remat-opt has: remat's dialect and cost models in its DialectRegistry, and
// every remat pass and named pipeline in MLIR's global pass registry. The
// mlir-opt plugin (lib/Plugin) calls the same two functions. Pipelines can
// also be built directly into a pass manager with the builders of
// remat/Pipelines/Pipelines.h. See docs/user-guide.md.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_INITREMAT_H
#define REMAT_INITREMAT_H

#include "mlir/IR/DialectRegistry.h"

namespace remat {

/// Adds the remat dialect, the cost-model external models of upstream ops
/// (linalg, tosa, arith, math, tensor) and the GPU-to-LLVM-IR translations
/// that --remat-pipeline-nvvm serializes kernels with. The host registers the
/// upstream dialects its IR uses itself.
void registerRematDialect(mlir::DialectRegistry &registry);

/// Registers every remat pass (remat-report, remat-checkpoint, ..., and the
/// passes of the lowering pipelines) and every registered remat pipeline
/// (remat-pipeline-cpu, remat-pipeline-nvvm, ...). Call it once per process:
/// MLIR refuses to register a pipeline twice.
void registerRematPasses();

} // namespace remat

#endif // REMAT_INITREMAT_H
