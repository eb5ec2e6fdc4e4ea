//===- InitRemat.cpp - remat's entry points for host compilers ------------===//

#include "remat/InitRemat.h"

#include "remat/Analysis/CostModel.h"
#include "remat/Dialect/Remat/RematDialect.h"
#include "remat/Pipelines/Pipelines.h"
#include "remat/Transforms/Passes.h"

#include "mlir/Target/LLVMIR/Dialect/All.h"

namespace remat {

void registerRematDialect(mlir::DialectRegistry &registry) {
  registry.insert<RematDialect>();
  registerCostModelExternalModels(registry);
  mlir::registerAllGPUToLLVMIRTranslations(registry);
}

void registerRematPasses() {
  registerRematTransformsPasses();
  registerRematPipelines();
}

} // namespace remat
