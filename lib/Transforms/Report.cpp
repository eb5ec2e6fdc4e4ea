//===- Report.cpp - Describing values and sizes to users ------------------===//

#include "remat/Transforms/Report.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace remat {

ValueInfo describeValue(Value value, const MemorySimulator &sim,
                        AsmState &state) {
  ValueInfo info{"", "", 0, value.getLoc()};
  llvm::raw_string_ostream os(info.name);
  value.printAsOperand(os, state);
  if (Operation *def = value.getDefiningOp())
    info.opName = def->getName().getStringRef().str();
  else
    info.opName = "argument";
  if (const Buffer *buffer = sim.getBuffer(value))
    info.bytes = buffer->bytes;
  return info;
}

ValueInfo describeBuffer(const Buffer &buffer, const MemorySimulator &sim,
                         AsmState &state) {
  auto isSetup = [](Value value) {
    return isa_and_nonnull<tensor::EmptyOp, linalg::FillOp>(
        value.getDefiningOp());
  };
  auto it = llvm::find_if(buffer.values, [&](Value v) { return !isSetup(v); });
  return describeValue(it == buffer.values.end() ? buffer.values.back() : *it,
                       sim, state);
}

std::string formatBytes(int64_t bytes) {
  static const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024)
    return llvm::formatv("{0} B", bytes).str();
  double scaled = bytes;
  unsigned unit = 0;
  for (scaled /= 1024; scaled >= 1024 && unit + 1 < std::size(units); ++unit)
    scaled /= 1024;
  return llvm::formatv("{0:f1} {1}", scaled, units[unit]).str();
}

std::string formatSeconds(double seconds) {
  if (seconds >= 1)
    return llvm::formatv("{0:f3} s", seconds).str();
  if (seconds >= 1e-3)
    return llvm::formatv("{0:f3} ms", seconds * 1e3).str();
  return llvm::formatv("{0:f3} us", seconds * 1e6).str();
}

std::string formatLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv("{0}:{1}:{2}", file.getFilename().getValue(),
                         file.getLine(), file.getColumn())
        .str();
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

} // namespace remat
