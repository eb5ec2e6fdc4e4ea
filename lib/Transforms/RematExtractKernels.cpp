//===- RematExtractKernels.cpp - One function per distinct op -------------===//

#include "remat/Transforms/Passes.h"

#include "remat/Analysis/TimeModel.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATEXTRACTKERNELS
#include "remat/Transforms/Passes.h.inc"

namespace {

struct RematExtractKernelsPass
    : public impl::RematExtractKernelsBase<RematExtractKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> originals = llvm::map_to_vector(
        module.getBody()->getOperations(), [](Operation &op) { return &op; });
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    llvm::StringSet<> seen;
    for (Operation *original : originals) {
      auto fn = dyn_cast<FunctionOpInterface>(original);
      if (!fn || fn.isExternal())
        continue;
      for (Operation &op : fn.getFunctionBody().getOps()) {
        std::optional<std::string> key = getKernelKey(&op);
        if (!key || !seen.insert(*key).second)
          continue;
        func::FuncOp kernel = buildKernel(&op, builder, "k_" + *key);
        kernel->setAttr("remat.kernel_key", builder.getStringAttr(*key));
        kernel->setAttr("remat.kernel_op",
                        builder.getStringAttr(op.getName().getStringRef()));
      }
    }
    for (Operation *op : originals)
      op->erase();
  }
};

} // namespace
} // namespace remat
