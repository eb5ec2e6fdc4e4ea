//===- InitRemat.cpp - remat's entry points for host compilers ------------===//

#include "remat/InitRemat.h"

#include "remat/Analysis/CostModel.h"
#include "remat/Dialect/Remat/RematDialect.h"
#include "remat/Pipelines/Pipelines.h"
#include "remat/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

namespace remat {

void registerRematDialect(mlir::DialectRegistry &registry) {
  registry.insert<RematDialect>();
  registerCostModelExternalModels(registry);
  // The memory model reads which ops are views from bufferization's models
  // (isViewLikeTensorOp): without them every view would count as a buffer.
  mlir::tensor::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::linalg::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::registerAllGPUToLLVMIRTranslations(registry);
}

void registerRematPasses() {
  registerRematTransformsPasses();
  registerRematPipelines();
}

} // namespace remat
