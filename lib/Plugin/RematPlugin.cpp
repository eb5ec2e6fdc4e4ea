//===- RematPlugin.cpp - remat as an mlir-opt pass and dialect plugin -----===//
//
// libRematPlugin.so loads into any MLIR 22 tool built on MlirOptMain, Debian's
// mlir-opt included:
//
//   mlir-opt --load-dialect-plugin=libRematPlugin.so \
//            --load-pass-plugin=libRematPlugin.so \
//            --pass-pipeline='builtin.module(remat-checkpoint{budget=0.7})'
//
// The pass plugin registers every remat pass and pipeline, the dialect plugin
// the remat dialect and cost models: the same entry points as remat-opt.
//
//===----------------------------------------------------------------------===//

#include "remat/InitRemat.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"

extern "C" LLVM_ATTRIBUTE_WEAK ::mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "RematPasses", "0.1",
          [] { remat::registerRematPasses(); }};
}

extern "C" LLVM_ATTRIBUTE_WEAK ::mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "RematDialect", "0.1",
          [](mlir::DialectRegistry *registry) {
            remat::registerRematDialect(*registry);
          }};
}
