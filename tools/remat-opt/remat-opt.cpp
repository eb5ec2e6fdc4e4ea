//===- remat-opt.cpp - remat's opt-style driver ---------------------------===//
//
// Every upstream dialect, pass and extension, plus remat's dialect, passes and
// cost-model external models.
//
//===----------------------------------------------------------------------===//

#include "remat/InitRemat.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  remat::registerRematPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  remat::registerRematDialect(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "remat: memory planning for MLIR training graphs\n",
      registry));
}
