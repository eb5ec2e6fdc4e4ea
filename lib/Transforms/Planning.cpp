//===- Planning.cpp - A function analysed for planning --------------------===//

#include "remat/Transforms/Planning.h"

#include "remat/Transforms/Policies.h"
#include "remat/Transforms/Report.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

namespace remat {

FunctionPlanning::FunctionPlanning(FunctionOpInterface fn,
                                   const CostOptions &cost)
    : graph(fn), costs(fn), sim(fn),
      problem(extractPlanningProblem(graph, costs, sim)), cost(cost) {
  unplannedPeak = sim.getPeakBytes();
  threads = fn->getContext()->isMultithreadingEnabled() ? 0 : 1;
  for (Operation *op : graph.getOps())
    stepFlops += costs.getFlops(op);
  for (const planner::Node &node : problem.problem.nodes)
    nodeFlops.push_back(node.cost);
  nodeSeconds.assign(nodeFlops.size(), 0.0);
  if (cost.isTime()) {
    times.emplace(fn, costs, cost);
    for (Operation *op : graph.getOps())
      stepSeconds += times->getSeconds(op);
    // A node costs what recomputing its ops costs the step, which a
    // calibration may set apart from their time in it (TimeModel.h).
    for (auto [index, members] : llvm::enumerate(problem.members))
      for (Operation *op : members)
        nodeSeconds[index] += times->getRecomputeSeconds(op);
  }
  if (problem.error.empty())
    smallestFeasible = smallestFeasibleWithoutPolicies = findMinPeak();
}

int64_t FunctionPlanning::findMinPeak() {
  minPeak = planner::minPeakPlan(problem.problem, threads);
  return planner::simulate(problem.problem, *minPeak).peakBytes;
}

void FunctionPlanning::useCostModel() {
  if (!cost.isTime())
    return;
  // Found with FLOPs: the same search under the new costs may end elsewhere.
  minPeak.reset();
  // Nanoseconds: the solvers' tie-breaking epsilons assume costs well
  // above 1e-6 (Fast.cpp, Stage.cpp).
  for (auto [node, seconds] : llvm::zip(problem.problem.nodes, nodeSeconds))
    node.cost = seconds * 1e9;
}

/// Sum of `perNode` over the recompute steps of `plan`.
static double sumRecomputed(const planner::Plan &plan,
                            const std::vector<double> &perNode) {
  double total = 0;
  for (const planner::Step &step : plan.schedule)
    if (step.recompute)
      total += perNode[step.node];
  return total;
}

double FunctionPlanning::recomputeFlops(const planner::Plan &plan) const {
  return sumRecomputed(plan, nodeFlops);
}

double FunctionPlanning::recomputeSeconds(const planner::Plan &plan) const {
  return sumRecomputed(plan, nodeSeconds);
}

double FunctionPlanning::predictedOverheadPercent(
    const planner::Plan &plan) const {
  if (!cost.isTime())
    return overheadPercent(recomputeFlops(plan));
  return stepSeconds > 0 ? 100.0 * recomputeSeconds(plan) / stepSeconds : 0.0;
}

void FunctionPlanning::addCostJson(llvm::json::Object &object,
                                   const planner::Plan &plan) const {
  if (!cost.isTime())
    return;
  object["cost_model"] = costKindName(cost.kind);
  object["predicted_overhead_percent"] = predictedOverheadPercent(plan);
  object["recompute_seconds"] = recomputeSeconds(plan);
  object["step_seconds"] = stepSeconds;
}

std::string
FunctionPlanning::describePredictedTime(const planner::Plan &plan) const {
  if (!cost.isTime())
    return "";
  return llvm::formatv("; predicted time (cost={0}): recompute {1}, {2:f2}% "
                       "of the step's {3}",
                       costKindName(cost.kind),
                       formatSeconds(recomputeSeconds(plan)),
                       predictedOverheadPercent(plan),
                       formatSeconds(stepSeconds))
      .str();
}

FailureOr<CostOptions>
loadCostOptions(ModuleOp module, StringRef pass, CostKind kind,
                CostTarget target, double peakGflops, double bandwidthGBps,
                StringRef calibrationPath,
                std::optional<Calibration> &calibration) {
  CostOptions options{kind, target, peakGflops, bandwidthGBps, nullptr};
  if (kind != CostKind::Measured)
    return options;
  llvm::Expected<Calibration> read = Calibration::read(calibrationPath);
  if (!read)
    return emitError(module.getLoc())
           << pass << ": " << llvm::toString(read.takeError());
  if (read->getTarget() != target)
    return emitError(module.getLoc())
           << pass << ": calibration file '" << calibrationPath
           << "' was measured for target=" << costTargetName(read->getTarget())
           << ", not target=" << costTargetName(target)
           << "; pass target=" << costTargetName(read->getTarget())
           << " or calibrate for " << costTargetName(target);
  calibration = std::move(*read);
  options.calibration = &*calibration;
  return options;
}

/// Warns at the first op of each dialect that the context does not know
/// (parsed with --allow-unregistered-dialect) or that is not one of its
/// dialect's ops: nothing says what such an op reads, writes, aliases or
/// costs, so remat plans around it on assumptions the warning states.
static void warnUnregisteredOps(FunctionOpInterface fn, StringRef pass) {
  llvm::MapVector<StringRef, std::pair<Operation *, int>> unknown;
  // Outermost first: an unknown op's own body (its yield) says nothing more.
  fn->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op->isRegistered())
      return WalkResult::advance();
    auto &[first, count] = unknown[op->getName().getDialectNamespace()];
    if (!first)
      first = op;
    ++count;
    return WalkResult::skip();
  });
  for (auto &[dialect, entry] : unknown) {
    auto [op, count] = entry;
    InFlightDiagnostic diag = emitWarning(op->getLoc())
                              << pass << ": '" << op->getName() << "' ";
    if (op->getDialect())
      diag << "is not an op of dialect '" << dialect
           << "' as this tool knows it";
    else
      diag << "is from dialect '" << dialect
           << "', which remat does not know (it is not registered in this "
              "tool)";
    diag << "; " << count << " such op(s) in @"
         << SymbolTable::getSymbolName(fn).getValue()
         << ". remat keeps them where they are, never recomputes them and "
            "counts each tensor result as a buffer of its own, which holds "
            "only if they do not write in place; register the dialect or "
            "lower them to upstream dialects (linalg, tensor, arith, math) "
            "for a plan that remat's memory model vouches for";
  }
}

FailureOr<std::unique_ptr<FunctionPlanning>>
FunctionPlanning::analyze(FunctionOpInterface fn, StringRef pass,
                          unsigned segments, const CostOptions &cost) {
  auto planning = std::make_unique<FunctionPlanning>(fn, cost);
  bool isStep = planning->graph.isTrainingStep();
  if (isStep)
    warnUnregisteredOps(fn, pass);
  emitFindings(planning->graph.getFindings());
  if (isStep && planning->times)
    emitFindings(planning->times->getFindings());
  if (!isStep)
    return std::unique_ptr<FunctionPlanning>();
  // What the memory model noticed (unsized values, TOSA ops it counts
  // before their lowering, memrefs), but at the op a refusal is about: its
  // error says more.
  const PlanningProblem &problem = planning->problem;
  for (const Finding &finding : planning->sim.getFindings())
    if (!problem.errorOp || finding.loc != problem.errorOp->getLoc())
      emitFindings(finding);
  if (!problem.error.empty()) {
    InFlightDiagnostic diag =
        emitError(problem.errorOp ? problem.errorOp->getLoc() : fn.getLoc())
        << pass << ": cannot plan @"
        << SymbolTable::getSymbolName(fn).getValue() << ": " << problem.error;
    if (problem.errorNoteOp)
      diag.attachNote(problem.errorNoteOp->getLoc()) << problem.errorNote;
    return diag;
  }
  if (failed(readPolicies(planning->graph, planning->problem, segments, pass)))
    return failure();
  for (const planner::Node &node : planning->problem.problem.nodes) {
    planning->pinnedSave += node.policy == planner::Policy::Save;
    planning->pinnedRecompute += node.policy == planner::Policy::Recompute;
  }
  if (planning->pinnedSave + planning->pinnedRecompute > 0)
    planning->smallestFeasible = planning->findMinPeak();
  planning->useCostModel();
  return planning;
}

LogicalResult forEachTrainingStep(
    ModuleOp module, StringRef pass,
    function_ref<LogicalResult(FunctionOpInterface, FunctionPlanning &)>
        plan,
    unsigned segments, const CostOptions &cost) {
  bool ok = true, sawStep = false;
  for (auto fn : module.getOps<FunctionOpInterface>()) {
    if (fn.isExternal())
      continue;
    FailureOr<std::unique_ptr<FunctionPlanning>> planning =
        FunctionPlanning::analyze(fn, pass, segments, cost);
    if (failed(planning)) {
      ok = false;
      sawStep = true;
      continue;
    }
    if (!*planning)
      continue;
    sawStep = true;
    ok &= succeeded(plan(fn, **planning));
  }
  if (!sawStep) {
    module.emitError() << pass
                       << ": the module has no training step to plan (the "
                          "remarks say why each function is not one)";
    return failure();
  }
  return success(ok);
}

LogicalResult writeJsonFile(StringRef path, llvm::json::Array functions,
                            Location loc) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
  if (!file)
    return emitError(loc) << "cannot write '" << path << "': " << error;
  file->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(functions)))
             << "\n";
  file->keep();
  return success();
}

} // namespace remat
