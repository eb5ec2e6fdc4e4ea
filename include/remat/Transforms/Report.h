//===- Report.h - Describing values and sizes to users ----------*- C++ -*-===//
#ifndef REMAT_TRANSFORMS_REPORT_H
#define REMAT_TRANSFORMS_REPORT_H

#include "remat/Analysis/MemorySimulator.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Value.h"

#include <string>

namespace remat {

/// A value as a user sees it in a report.
struct ValueInfo {
  std::string name;
  std::string opName;
  int64_t bytes = 0;
  mlir::Location loc;
};

/// Names `value` as the printed IR does (`%3`, `%arg0`), with the op that
/// defines it and the bytes of the buffer holding it.
ValueInfo describeValue(mlir::Value value, const MemorySimulator &sim,
                        mlir::AsmState &state);

/// Describes a buffer by the value users know it by: the op that computed
/// its contents (not the tensor.empty or linalg.fill that set it up).
ValueInfo describeBuffer(const Buffer &buffer, const MemorySimulator &sim,
                         mlir::AsmState &state);

/// "1.5 MiB", "312 B": bytes in binary units with one decimal.
std::string formatBytes(int64_t bytes);

/// "1.234 ms", "56.789 us": a duration with three decimals.
std::string formatSeconds(double seconds);

/// "file.mlir:12:5" for a file location, the printed location otherwise.
std::string formatLocation(mlir::Location loc);

} // namespace remat

#endif // REMAT_TRANSFORMS_REPORT_H
