//===- consumer.cpp - a host compiler that links remat --------------------===//
//
// Registers the dialects its IR uses plus remat's dialect and passes, plans
// the training step of argv[1] with remat-checkpoint from a pass pipeline
// string, and builds remat's CPU pipeline into a pass manager.
//
//===----------------------------------------------------------------------===//

#include "remat/InitRemat.h"
#include "remat/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: remat-consumer STEP.mlir\n";
    return 2;
  }
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect>();
  remat::registerRematDialect(registry);
  remat::registerRematPasses();

  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(argv[1], &context);
  if (!module)
    return 1;
  // The textual pipeline is what nests under the module pass manager.
  PassManager pm = PassManager::on<ModuleOp>(&context);
  if (failed(parsePassPipeline("remat-checkpoint{budget=0.97}", pm)) ||
      failed(pm.run(*module)))
    return 1;
  int recomputes = 0;
  module->walk([&](Operation *op) {
    recomputes += op->getName().getStringRef() == "remat.recompute";
  });
  llvm::outs() << "remat.recompute regions: " << recomputes << "\n";

  OpPassManager cpu(ModuleOp::getOperationName());
  remat::buildCpuPipeline(cpu, remat::CpuPipelineOptions());
  llvm::outs() << "remat-pipeline-cpu passes: " << cpu.size() << "\n";
  return 0;
}
