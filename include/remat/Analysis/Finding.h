//===- Finding.h - What an analysis noticed about the input -----*- C++ -*-===//
#ifndef REMAT_ANALYSIS_FINDING_H
#define REMAT_ANALYSIS_FINDING_H

#include "mlir/IR/Location.h"

#include <string>

namespace remat {

/// Something an analysis noticed about its input that the user should hear:
/// analyses may run many times, so they record and passes emit.
struct Finding {
  enum class Kind { Remark, Warning };
  Kind kind;
  mlir::Location loc;
  std::string message;
};

/// Emits each finding at its location.
void emitFindings(llvm::ArrayRef<Finding> findings);

} // namespace remat

#endif // REMAT_ANALYSIS_FINDING_H
