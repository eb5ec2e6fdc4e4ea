//===- ReadonlyArguments.cpp - arguments are never written ----------------===//

#include "remat/Pipelines/Passes.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATREADONLYARGUMENTS
#include "remat/Pipelines/Passes.h.inc"

namespace {
struct ReadonlyArguments
    : public impl::RematReadonlyArgumentsBase<ReadonlyArguments> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    auto readonly = BoolAttr::get(&getContext(), false);
    for (BlockArgument arg : fn.getArguments())
      if (isa<TensorType>(arg.getType()))
        fn.setArgAttr(arg.getArgNumber(),
                      bufferization::BufferizationDialect::kWritableAttrName,
                      readonly);
  }
};
} // namespace

} // namespace remat
