//===- Remat.cpp - remat's C API ------------------------------------------===//
//
// Each call parses the IR into a fresh module of the context, runs remat's
// passes on it with a PassManager, and hands back the pass's JSON (written to
// a temporary file through the pass's own report-file / plan-file option, so
// the C API reports exactly what remat-opt writes), the IR as text and every
// diagnostic as text.
//
//===----------------------------------------------------------------------===//

#include "remat-c/Remat.h"

#include "remat/InitRemat.h"
#include "remat/Transforms/Passes.h"
#include "remat/Transforms/Report.h"
#include "remat/Pipelines/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>

using namespace mlir;

struct RematContext {
  explicit RematContext(const DialectRegistry &registry)
      // One thread: diagnostics then arrive in program order, and the
      // handler below needs no locking.
      : context(registry, MLIRContext::Threading::DISABLED) {}

  MLIRContext context;
  /// Calls on one context run one at a time: each installs its own
  /// diagnostic handler.
  std::mutex mutex;
};

namespace {

/// Every dialect and extension of remat-opt; registers every pass and
/// pipeline once per process (the pass registry is global).
const DialectRegistry &getRegistry() {
  static const DialectRegistry *registry = [] {
    auto *result = new DialectRegistry;
    registerAllDialects(*result);
    registerAllExtensions(*result);
    remat::registerRematDialect(*result);
    registerAllPasses();
    remat::registerRematPasses();
    return result;
  }();
  return *registry;
}

const char *getSeverityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  return "diagnostic";
}

/// Collects every diagnostic of the context while it lives, as
/// `LOCATION: SEVERITY: MESSAGE` lines, notes after their diagnostic.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          append(diag);
          for (Diagnostic &note : diag.getNotes())
            append(note);
          return success();
        }) {}

  /// A diagnostic that did not come from MLIR (a bad argument, a pipeline
  /// that does not parse).
  void addError(llvm::StringRef location, const std::string &message) {
    (text += location.str()) += ": error: ";
    (text += message) += "\n";
  }

  std::string take() { return std::move(text); }

private:
  void append(Diagnostic &diag) {
    text += remat::formatLocation(diag.getLocation());
    text += ": ";
    text += getSeverityName(diag.getSeverity());
    text += ": ";
    text += diag.str();
    text += "\n";
  }

  ScopedDiagnosticHandler handler;
  std::string text;
};

/// A temporary file for a pass's JSON output, removed when done.
class TempJsonFile {
public:
  explicit TempJsonFile(llvm::StringRef prefix) {
    if (llvm::sys::fs::createTemporaryFile(prefix, "json", path))
      path.clear();
    remover.setFile(path);
  }

  bool valid() const { return !path.empty(); }
  std::string getPath() const { return std::string(path.str()); }

  std::optional<std::string> read() const {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer)
      return std::nullopt;
    return (*buffer)->getBuffer().str();
  }

private:
  llvm::SmallString<128> path;
  llvm::FileRemover remover;
};

char *copyString(llvm::StringRef text) {
  char *result = static_cast<char *>(std::malloc(text.size() + 1));
  std::memcpy(result, text.data(), text.size());
  result[text.size()] = '\0';
  return result;
}

void setOutput(char **out, llvm::StringRef text) {
  if (out)
    *out = copyString(text);
}

std::string printModule(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os);
  return text;
}

/// One call of the API: its context, its diagnostics and its outputs. The
/// outputs are always set when it ends, empty unless a step filled them.
class Call {
public:
  Call(RematContext *context, const char *sourceName,
       std::initializer_list<char **> outputs, char **diagnosticsOut)
      : rematContext(context),
        sourceName(sourceName ? sourceName : "<input>"),
        outputs(outputs), diagnosticsOut(diagnosticsOut) {
    for (char **out : outputs)
      if (out)
        *out = nullptr;
    if (diagnosticsOut)
      *diagnosticsOut = nullptr;
    if (context) {
      lock.emplace(context->mutex);
      diagnostics.emplace(context->context);
    }
  }

  ~Call() {
    for (char **out : outputs)
      if (out && !*out)
        *out = copyString("");
    setOutput(diagnosticsOut, diagnostics ? diagnostics->take() : pending);
  }

  /// Checks the arguments every call needs.
  bool checkArguments(const char *ir) {
    if (!rematContext) {
      pending = "<remat>: error: null RematContext\n";
      return false;
    }
    if (!ir) {
      diagnostics->addError(sourceName, "null IR");
      return false;
    }
    return true;
  }

  /// Parses and verifies `ir`; null when it does not (the parser's errors
  /// are among the diagnostics).
  OwningOpRef<ModuleOp> parse(const char *ir) {
    ParserConfig config(&rematContext->context);
    return parseSourceString<ModuleOp>(ir, config, sourceName);
  }

  /// Nests passes anchored on other ops implicitly, as remat-opt does, so a
  /// pipeline means the same here as on its command line.
  PassManager makePassManager() {
    return PassManager(&rematContext->context, ModuleOp::getOperationName(),
                       OpPassManager::Nesting::Implicit);
  }

  void addError(const llvm::Twine &message) {
    diagnostics->addError(sourceName, message.str());
  }

  /// Runs `pm` on the parsed `ir`, filling `module`.
  RematStatus run(const char *ir, PassManager &pm,
                  OwningOpRef<ModuleOp> &module) {
    module = parse(ir);
    if (!module)
      return REMAT_PARSE_ERROR;
    if (failed(pm.run(*module)))
      return REMAT_PASS_ERROR;
    return REMAT_OK;
  }

  /// Runs `pm` on `ir` and sets `irOut` to the resulting module.
  RematStatus runAndPrint(const char *ir, PassManager &pm, char **irOut) {
    OwningOpRef<ModuleOp> module;
    RematStatus status = run(ir, pm, module);
    if (status == REMAT_OK)
      setOutput(irOut, printModule(*module));
    return status;
  }

  /// Runs `pm` on `ir`, its pass writing JSON to `json` (which `pm`'s pass
  /// was given the path of), and sets `jsonOut` to that JSON.
  RematStatus runWithJson(const char *ir, PassManager &pm,
                          const TempJsonFile &json, char **jsonOut,
                          OwningOpRef<ModuleOp> &module) {
    RematStatus status = run(ir, pm, module);
    if (status != REMAT_OK)
      return status;
    std::optional<std::string> text = json.read();
    if (!text) {
      addError("cannot read the pass's JSON from " + json.getPath());
      return REMAT_IO_ERROR;
    }
    setOutput(jsonOut, *text);
    return REMAT_OK;
  }

  /// Adds `pass` to `pm` with more of its options parsed from `text` (null
  /// or empty: none); false, with the parser's error, when they do not
  /// parse.
  bool addPass(PassManager &pm, std::unique_ptr<Pass> pass,
               const char *text) {
    if (text && *text) {
      std::string error;
      auto onError = [&](const llvm::Twine &message) {
        error = message.str();
        return failure();
      };
      if (failed(pass->initializeOptions(text, onError))) {
        addError("invalid options '" + llvm::Twine(text) + "' for " +
                 pass->getArgument() + ": " + llvm::StringRef(error).trim());
        return false;
      }
    }
    pm.addPass(std::move(pass));
    return true;
  }

  RematStatus tempFileError() {
    addError("cannot create a temporary file for the pass's JSON");
    return REMAT_IO_ERROR;
  }

private:
  RematContext *rematContext;
  std::string sourceName;
  llvm::SmallVector<char **, 2> outputs;
  char **diagnosticsOut;
  std::optional<std::lock_guard<std::mutex>> lock;
  std::optional<DiagnosticCollector> diagnostics;
  /// Diagnostics of a call that has no context to collect them.
  std::string pending;
};

/// `value` or, when null, `fallback`.
std::string orDefault(const char *value, const char *fallback) {
  return value ? value : fallback;
}

/// The solver `name` names (null: fast), or none with the error in `call`.
std::optional<remat::planner::SolverKind> parseSolver(const char *name,
                                                      Call &call) {
  std::string text = orDefault(name, "fast");
  std::optional<remat::planner::SolverKind> kind =
      remat::planner::parseSolverKind(text);
  if (!kind)
    call.addError(remat::unknownSolverMessage(text));
  return kind;
}

/// Adds a lowering pipeline with the options `text` to `pm`. It is built
/// directly, not parsed by its registered name: parsed from text, a pipeline
/// is built on a pass manager without implicit nesting, where the pipelines'
/// function passes cannot be added (LLVM aborts).
template <typename Options>
bool addLoweringPipeline(OpPassManager &pm, const std::string &text,
                         void (*build)(OpPassManager &, const Options &),
                         Call &call) {
  std::unique_ptr<Options> options = Options::createFromString(text);
  if (!options) {
    call.addError("invalid lowering options '" + text + "'");
    return false;
  }
  if (std::string invalid = remat::checkPipelineOptions(*options);
      !invalid.empty()) {
    call.addError("invalid lowering options: " + invalid);
    return false;
  }
  build(pm, *options);
  return true;
}

} // namespace

extern "C" {

RematContext *rematContextCreate(void) {
  return new RematContext(getRegistry());
}

void rematContextDestroy(RematContext *context) { delete context; }

void rematStringFree(char *string) { std::free(string); }

const char *rematStatusName(RematStatus status) {
  switch (status) {
  case REMAT_OK:
    return "ok";
  case REMAT_PARSE_ERROR:
    return "parse error";
  case REMAT_PASS_ERROR:
    return "pass error";
  case REMAT_INVALID_ARGUMENT:
    return "invalid argument";
  case REMAT_IO_ERROR:
    return "I/O error";
  }
  return "unknown status";
}

int rematPipelineRegistered(const char *name) {
  (void)getRegistry();
  return name && PassPipelineInfo::lookup(name) != nullptr;
}

RematStatus rematReport(RematContext *context, const char *ir,
                        const char *sourceName, const char *passOptions,
                        char **json, char **diagnostics) {
  Call call(context, sourceName, {json}, diagnostics);
  if (!call.checkArguments(ir))
    return REMAT_INVALID_ARGUMENT;
  TempJsonFile file("remat-report");
  if (!file.valid())
    return call.tempFileError();
  remat::RematReportOptions options;
  options.reportFile = file.getPath();
  PassManager pm = call.makePassManager();
  if (!call.addPass(pm, remat::createRematReport(options), passOptions))
    return REMAT_INVALID_ARGUMENT;
  OwningOpRef<ModuleOp> module;
  return call.runWithJson(ir, pm, file, json, module);
}

RematStatus rematPlan(RematContext *context, const char *ir,
                      const char *sourceName, const char *budget,
                      const char *solver, double timeLimit,
                      const char *passOptions, char **planJson,
                      char **rewrittenIr, char **diagnostics) {
  Call call(context, sourceName, {planJson, rewrittenIr}, diagnostics);
  if (!call.checkArguments(ir))
    return REMAT_INVALID_ARGUMENT;
  std::optional<remat::planner::SolverKind> kind = parseSolver(solver, call);
  if (!kind)
    return REMAT_INVALID_ARGUMENT;
  // Without a budget remat-checkpoint does nothing, silently (solver=manual
  // applies the step's policies and needs none).
  const bool hasBudget = budget && *budget;
  if (!hasBudget && *kind != remat::planner::SolverKind::Manual) {
    call.addError("remat-checkpoint needs a budget");
    return REMAT_INVALID_ARGUMENT;
  }
  TempJsonFile file("remat-plan");
  if (!file.valid())
    return call.tempFileError();
  remat::RematCheckpointOptions options;
  options.budget = hasBudget ? budget : "";
  options.solver = *kind;
  options.timeLimit = timeLimit;
  options.planFile = file.getPath();
  PassManager pm = call.makePassManager();
  if (!call.addPass(pm, remat::createRematCheckpoint(options), passOptions))
    return REMAT_INVALID_ARGUMENT;
  OwningOpRef<ModuleOp> module;
  RematStatus status = call.runWithJson(ir, pm, file, planJson, module);
  if (status == REMAT_OK)
    setOutput(rewrittenIr, printModule(*module));
  return status;
}

RematStatus rematFrontier(RematContext *context, const char *ir,
                          const char *sourceName, unsigned points,
                          const char *solver, double timeLimit,
                          const char *passOptions, char **json,
                          char **diagnostics) {
  Call call(context, sourceName, {json}, diagnostics);
  if (!call.checkArguments(ir))
    return REMAT_INVALID_ARGUMENT;
  std::optional<remat::planner::SolverKind> kind = parseSolver(solver, call);
  if (!kind)
    return REMAT_INVALID_ARGUMENT;
  TempJsonFile file("remat-frontier");
  if (!file.valid())
    return call.tempFileError();
  remat::RematFrontierOptions options;
  options.points = points;
  options.solver = *kind;
  options.timeLimit = timeLimit;
  options.reportFile = file.getPath();
  PassManager pm = call.makePassManager();
  if (!call.addPass(pm, remat::createRematFrontier(options), passOptions))
    return REMAT_INVALID_ARGUMENT;
  OwningOpRef<ModuleOp> module;
  return call.runWithJson(ir, pm, file, json, module);
}

RematStatus rematLower(RematContext *context, const char *ir,
                       const char *sourceName, const char *target,
                       const char *budget, const char *solver,
                       double timeLimit, const char *extraOptions,
                       char **loweredIr, char **diagnostics) {
  Call call(context, sourceName, {loweredIr}, diagnostics);
  if (!call.checkArguments(ir) || !parseSolver(solver, call))
    return REMAT_INVALID_ARGUMENT;
  std::string options = "solver=" + orDefault(solver, "fast") +
                        " time-limit=" + std::to_string(timeLimit);
  if (budget && *budget)
    options += " budget=" + std::string(budget);
  if (extraOptions && *extraOptions)
    options += " " + std::string(extraOptions);
  std::string name = orDefault(target, "cpu");
  PassManager pm = call.makePassManager();
  bool added;
  if (name == "cpu")
    added = addLoweringPipeline(pm, options, remat::buildCpuPipeline, call);
  else if (name == "nvvm")
    added = addLoweringPipeline(pm, options, remat::buildNvvmPipeline, call);
  else {
    call.addError("unknown lowering target '" + name +
                  "'; remat's targets are cpu and nvvm");
    return REMAT_INVALID_ARGUMENT;
  }
  if (!added)
    return REMAT_INVALID_ARGUMENT;
  return call.runAndPrint(ir, pm, loweredIr);
}

RematStatus rematRunPipeline(RematContext *context, const char *ir,
                             const char *sourceName, const char *pipeline,
                             char **outputIr, char **diagnostics) {
  Call call(context, sourceName, {outputIr}, diagnostics);
  if (!call.checkArguments(ir))
    return REMAT_INVALID_ARGUMENT;
  if (!pipeline) {
    call.addError("null pass pipeline");
    return REMAT_INVALID_ARGUMENT;
  }
  PassManager pm = call.makePassManager();
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (failed(parsePassPipeline(pipeline, pm, errorStream))) {
    call.addError("invalid pass pipeline '" + std::string(pipeline) +
                  "': " + llvm::StringRef(error).trim());
    return REMAT_INVALID_ARGUMENT;
  }
  return call.runAndPrint(ir, pm, outputIr);
}

} // extern "C"
