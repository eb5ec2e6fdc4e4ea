//===- RematInstrumentOps.cpp - A clock call before each top-level op -----===//

#include "remat/Transforms/Passes.h"

#include "remat/Analysis/TimeModel.h"
#include "remat/Dialect/Remat/RematDialect.h"
#include "remat/Transforms/Planning.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/JSON.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATINSTRUMENTOPS
#include "remat/Transforms/Passes.h.inc"

namespace {

static std::string locationText(Location loc) {
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

/// Where each operand of a top-level op comes from: [index, result number]
/// of the top-level op before it that defines it, or null (an argument).
/// With `yields`, this says which values a consumer reads from a
/// recomputation (remat-calibrate's hot run).
static llvm::json::Array
describeOperands(Operation *op,
                 const llvm::DenseMap<Operation *, int64_t> &indices) {
  llvm::json::Array operands;
  for (Value operand : op->getOperands()) {
    auto result = dyn_cast<OpResult>(operand);
    auto it = result ? indices.find(result.getOwner()) : indices.end();
    if (it == indices.end())
      operands.push_back(nullptr);
    else
      operands.push_back(llvm::json::Array{
          it->second, static_cast<int64_t>(result.getResultNumber())});
  }
  return operands;
}

/// For a remat.recompute, the op and location of what defines each value
/// its body yields (null for a kept value yielded as it is): which original
/// op each of its results recomputes.
static llvm::json::Array describeYields(RecomputeOp op) {
  llvm::json::Array yields;
  for (Value value : op.getBody().front().getTerminator()->getOperands()) {
    Operation *producer = value.getDefiningOp();
    if (!producer)
      yields.push_back(nullptr);
    else
      yields.push_back(
          llvm::json::Object{{"op", producer->getName().getStringRef()},
                             {"loc", locationText(producer->getLoc())}});
  }
  return yields;
}

/// The functions to instrument: every function of the module with a body.
static SmallVector<FunctionOpInterface> getBodies(ModuleOp module) {
  SmallVector<FunctionOpInterface> functions;
  for (Operation &op : module.getBody()->getOperations())
    if (auto fn = dyn_cast<FunctionOpInterface>(op); fn && !fn.isExternal())
      functions.push_back(fn);
  return functions;
}

struct RematInstrumentOpsPass
    : public impl::RematInstrumentOpsBase<RematInstrumentOpsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<FunctionOpInterface> functions = getBodies(module);
    // Everything is checked before the IR changes.
    if (failed(checkInput(module, functions)))
      return signalPassFailure();
    func::FuncOp clock = getOrDeclareClock(module);
    llvm::json::Array map;
    int64_t next = 0;
    for (FunctionOpInterface fn : functions)
      map.push_back(instrument(fn, clock, next));
    if (!mapFile.empty() &&
        failed(writeJsonFile(mapFile, std::move(map), module.getLoc())))
      signalPassFailure();
  }

  LogicalResult checkInput(ModuleOp module,
                           ArrayRef<FunctionOpInterface> functions) {
    if (tick.empty())
      return module.emitError()
             << "remat-instrument-ops: tick= must name the clock function";
    bool ok = true;
    for (FunctionOpInterface fn : functions) {
      if (fn.getFunctionBody().hasOneBlock())
        continue;
      fn.emitError() << "remat-instrument-ops: the body of @" << fn.getName()
                     << " has " << fn.getFunctionBody().getBlocks().size()
                     << " blocks; only a body of one block is instrumented "
                        "(lower unstructured control flow after instrumenting)";
      ok = false;
    }
    Operation *existing = SymbolTable::lookupSymbolIn(module, tick);
    if (existing && !isClockDeclaration(existing)) {
      existing->emitError()
          << "remat-instrument-ops: @" << tick
          << " is the clock the ticks call and must be a declaration "
             "`func.func private @"
          << tick << "(i64)`; name another clock with tick=";
      ok = false;
    }
    return success(ok);
  }

  bool isClockDeclaration(Operation *op) {
    auto fn = dyn_cast<func::FuncOp>(op);
    if (!fn || !fn.isExternal())
      return false;
    FunctionType type = fn.getFunctionType();
    return type.getNumResults() == 0 && type.getNumInputs() == 1 &&
           type.getInput(0).isSignlessInteger(64);
  }

  func::FuncOp getOrDeclareClock(ModuleOp module) {
    if (auto existing = module.lookupSymbol<func::FuncOp>(tick))
      return existing;
    auto builder = OpBuilder::atBlockBegin(module.getBody());
    auto clock = func::FuncOp::create(
        builder, module.getLoc(), tick,
        builder.getFunctionType(builder.getI64Type(), {}));
    clock.setPrivate();
    return clock;
  }

  /// Inserts the ticks into `fn`'s body, numbering from `next`; returns the
  /// function's entry of the map.
  llvm::json::Object instrument(FunctionOpInterface fn, func::FuncOp clock,
                                int64_t &next) {
    Block &body = fn.getFunctionBody().front();
    SmallVector<Operation *> ops =
        llvm::map_to_vector(body, [](Operation &op) { return &op; });
    // Keys of the ops as they are, before any tick stands beside them.
    llvm::DenseMap<Operation *, int64_t> indices;
    llvm::json::Array entries;
    for (Operation *op : ops) {
      if (op->hasTrait<OpTrait::IsTerminator>())
        continue;
      int64_t index = next + static_cast<int64_t>(entries.size());
      indices[op] = index;
      std::optional<std::string> key = getKernelKey(op);
      llvm::json::Object entry{
          {"index", index},
          {"op", op->getName().getStringRef()},
          {"key", key ? llvm::json::Value(*key) : llvm::json::Value(nullptr)},
          {"loc", locationText(op->getLoc())},
          {"operands", describeOperands(op, indices)}};
      if (auto recompute = dyn_cast<RecomputeOp>(op))
        entry["yields"] = describeYields(recompute);
      entries.push_back(std::move(entry));
    }
    OpBuilder builder(fn.getContext());
    for (Operation *op : ops) {
      builder.setInsertionPoint(op);
      Value index = arith::ConstantIntOp::create(builder, op->getLoc(), next++,
                                                 /*width=*/64);
      func::CallOp::create(builder, op->getLoc(), clock, ValueRange{index});
    }
    return llvm::json::Object{{"function", fn.getName()},
                              {"ops", std::move(entries)},
                              {"return", next - 1}};
  }
};

} // namespace
} // namespace remat
