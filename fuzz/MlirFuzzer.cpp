//===- MlirFuzzer.cpp - libFuzzer: MLIR modules into remat's passes -------===//
//
// Any bytes, read as an MLIR module (the IR entry point of remat-opt, the C
// API and the plugin): the parser either rejects them or gives a module, and
// then remat-report, remat-checkpoint (a budget and a solver chosen by a hash
// of the input) and remat-inline-recompute run on it in turn. Each pass may
// refuse the module with an error, but
//   - nothing crashes (the target is built with ASan and UBSan);
//   - no diagnostic is an "internal error" (a broken invariant remat checks
//     itself, such as a plan whose rewritten IR peaks elsewhere);
//   - after each pass that succeeds, the module verifies;
//   - every plan remat-checkpoint writes (plan-file) peaks at or under its
//     budget, and so does the IR it rewrote.
// A broken invariant aborts. See docs/fuzzing.md.
//
//===----------------------------------------------------------------------===//

#include "remat/InitRemat.h"
#include "remat/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/xxhash.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

namespace {

[[noreturn]] void broken(const std::string &what) {
  std::fprintf(stderr, "invariant broken: %s\n", what.c_str());
  std::abort();
}

MLIRContext &context() {
  static MLIRContext *context = [] {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    remat::registerRematDialect(registry);
    auto *created = new MLIRContext(registry);
    // One thread: the fuzzer runs one input at a time, and a thread pool per
    // process would only add noise to the coverage.
    created->disableMultithreading();
    created->loadAllAvailableDialects();
    return created;
  }();
  return *context;
}

/// Where remat-checkpoint writes its plans: one file per fuzzing process.
const std::string &planFile() {
  static const std::string path = [] {
    llvm::SmallString<128> path;
    if (llvm::sys::fs::createTemporaryFile("remat-fuzz-plan", "json", path))
      broken("cannot create a temporary file for the plans");
    return std::string(path);
  }();
  return path;
}

/// Swallows the diagnostics (a fuzzer's inputs are mostly invalid) but
/// remembers an internal error.
struct Diagnostics {
  explicit Diagnostics(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          std::string text = diag.str();
          if (text.find("internal error") != std::string::npos)
            internalError = text;
          return success();
        }) {}

  void check(llvm::StringRef pass) {
    if (!internalError.empty())
      broken(pass.str() + ": " + internalError);
  }

  ScopedDiagnosticHandler handler;
  std::string internalError;
};

/// Runs `pass` on `module`; when it succeeds, the module must verify.
bool runAndVerify(ModuleOp module, std::unique_ptr<Pass> pass,
                  Diagnostics &diagnostics) {
  std::string name = pass->getArgument().str();
  PassManager pm(module->getName());
  // The fuzzer verifies itself, to tell a pass's refusal from IR it broke.
  pm.enableVerifier(false);
  pm.addPass(std::move(pass));
  bool passed = succeeded(pm.run(module));
  diagnostics.check(name);
  if (passed && failed(verify(module)))
    broken(name + " succeeded but left a module that does not verify");
  return passed;
}

/// Each plan of the plan file fits its budget, in the plan and in the
/// rewritten IR.
void checkPlans() {
  auto buffer = llvm::MemoryBuffer::getFile(planFile());
  if (!buffer)
    broken("remat-checkpoint succeeded without writing its plan file");
  llvm::Expected<llvm::json::Value> plans =
      llvm::json::parse((*buffer)->getBuffer());
  if (!plans)
    broken("the plan file is not JSON: " + llvm::toString(plans.takeError()));
  const llvm::json::Array *array = plans->getAsArray();
  if (!array)
    broken("the plan file is not an array");
  for (const llvm::json::Value &value : *array) {
    const llvm::json::Object *plan = value.getAsObject();
    std::optional<int64_t> budget =
        plan ? plan->getInteger("budget_bytes") : std::nullopt;
    std::optional<int64_t> planned =
        plan ? plan->getInteger("planned_peak_bytes") : std::nullopt;
    std::optional<int64_t> rewritten =
        plan ? plan->getInteger("rewritten_peak_bytes") : std::nullopt;
    if (!budget || !planned || !rewritten)
      broken("a plan without budget_bytes, planned_peak_bytes or "
             "rewritten_peak_bytes");
    if (*planned > *budget || *rewritten > *budget)
      broken("a plan peaks over its budget: budget " +
             std::to_string(*budget) + ", planned " +
             std::to_string(*planned) + ", rewritten " +
             std::to_string(*rewritten));
  }
}

/// False for text that crashes MLIR 22's own parser, which remat cannot help:
/// linalg.transpose's `permutation` and linalg.broadcast's `dimensions` that
/// are not a well-formed integer list (`permutation = [1 0]`, `[0, x`) make
/// the ops' custom parsers store a null attribute and crash (SIGSEGV in
/// NamedAttrList::set; Debian's mlir-opt too, see docs/fuzzing.md). The
/// brackets are escaped for the regex (`\\[`): written `\[` in the C++
/// literal they were plain `[` and `]`, and `permutation = 21, 0]` passed
/// (a CI run's fuzzer crashed on it, 2026-12-02; now a seed,
/// fuzz/corpus/mlir).
bool avoidsUpstreamParserCrashes(llvm::StringRef text) {
  static const llvm::Regex wellFormed(
      "^[ \t\n]*=[ \t\n]*\\[[ \t\n]*(-?[0-9]+[ \t\n]*(,[ \t\n]*-?[0-9]+"
      "[ \t\n]*)*)?\\]");
  for (llvm::StringRef key : {"permutation", "dimensions"}) {
    for (size_t at = text.find(key); at != llvm::StringRef::npos;
         at = text.find(key, at + 1)) {
      llvm::StringRef rest = text.drop_front(at + key.size()).ltrim();
      if (rest.starts_with("=") && !wellFormed.match(rest.take_front(4096)))
        return false;
    }
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &ctx = context();
  Diagnostics diagnostics(ctx);
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  if (!avoidsUpstreamParserCrashes(text))
    return 0;
  ParserConfig config(&ctx);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, config);
  diagnostics.check("the parser");
  if (!module)
    return 0;

  remat::RematReportOptions report;
  report.topValues = 3;
  runAndVerify(*module, remat::createRematReport(report), diagnostics);

  // The hash of the input picks the budget (30% to 100% of the unplanned
  // peak, below the smallest feasible budget too) and the solver: fast for
  // half the inputs, a baseline for the rest (not exact: a CBC process per
  // input would dominate the run).
  uint64_t hash = llvm::xxh3_64bits(
      llvm::ArrayRef<uint8_t>(data, size));
  static constexpr remat::planner::SolverKind kSolvers[] = {
      remat::planner::SolverKind::Fast,
      remat::planner::SolverKind::Fast,
      remat::planner::SolverKind::Fast,
      remat::planner::SolverKind::KeepAll,
      remat::planner::SolverKind::RecomputeAll,
      remat::planner::SolverKind::SqrtN,
      remat::planner::SolverKind::Knapsack,
      remat::planner::SolverKind::Fast};
  remat::RematCheckpointOptions checkpoint;
  checkpoint.budget = std::to_string(0.30 + (hash % 71) / 100.0);
  checkpoint.solver = kSolvers[(hash >> 8) % std::size(kSolvers)];
  checkpoint.planFile = planFile();
  llvm::sys::fs::remove(planFile());
  if (!runAndVerify(*module, remat::createRematCheckpoint(checkpoint),
                    diagnostics))
    return 0;
  checkPlans();

  runAndVerify(*module, remat::createRematInlineRecompute(), diagnostics);
  return 0;
}
