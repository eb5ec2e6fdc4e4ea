//===- TestContext.h - An MLIRContext with what the tests parse -*- C++ -*-===//
#ifndef REMAT_UNITTESTS_ANALYSIS_TESTCONTEXT_H
#define REMAT_UNITTESTS_ANALYSIS_TESTCONTEXT_H

#include "remat/Analysis/CostModel.h"
#include "remat/Dialect/Remat/RematDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/MLIRContext.h"

namespace remat::test {

/// Loads the dialects of training steps and remat's cost models into `context`.
inline void loadTrainingDialects(mlir::MLIRContext &context) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::arith::ArithDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::func::FuncDialect,
                  mlir::linalg::LinalgDialect, mlir::math::MathDialect,
                  mlir::tensor::TensorDialect, RematDialect>();
  registerCostModelExternalModels(registry);
  // Bufferization's models say which ops are views (MemorySimulator).
  mlir::tensor::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::linalg::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::arith::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
}

} // namespace remat::test

#endif // REMAT_UNITTESTS_ANALYSIS_TESTCONTEXT_H
