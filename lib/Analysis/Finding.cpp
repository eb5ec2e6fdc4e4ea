//===- Finding.cpp - What an analysis noticed about the input -------------===//

#include "remat/Analysis/Finding.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;

namespace remat {

void emitFindings(llvm::ArrayRef<Finding> findings) {
  for (const Finding &finding : findings) {
    if (finding.kind == Finding::Kind::Warning)
      emitWarning(finding.loc) << finding.message;
    else
      emitRemark(finding.loc) << finding.message;
  }
}

} // namespace remat
