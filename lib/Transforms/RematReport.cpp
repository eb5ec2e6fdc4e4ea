//===- RematReport.cpp - Where a training step's memory goes --------------===//

#include "remat/Transforms/Passes.h"

#include "remat/Analysis/CostModel.h"
#include "remat/Analysis/MemorySimulator.h"
#include "remat/Analysis/TimeModel.h"
#include "remat/Analysis/TrainingGraph.h"
#include "remat/Transforms/Planning.h"
#include "remat/Transforms/Policies.h"
#include "remat/Transforms/Report.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"

#include <map>

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATREPORT
#include "remat/Transforms/Passes.h.inc"

namespace {

/// What one scf.for of the step carries and stashes.
struct LoopReport {
  const LoopModel *model = nullptr;
  bool forward = false;
  /// Bytes the loop's iterations write into stashed results (the slices
  /// inserted into carried tensors the backward pass reads), per iteration.
  int64_t stashPerIteration = 0;
};

/// The numbers of one function's report, gathered once for both outputs.
struct FunctionReport {
  std::string name;
  bool trainingStep = false;
  unsigned lossIndex = 0;
  int64_t forwardFlops = 0;
  int64_t backwardFlops = 0;
  /// FLOPs of the ops at each source line (FileLineColLoc), lines with none
  /// left out: what a tool that knows which lines come from what (the
  /// exporter's line map) sums over its own ops.
  std::map<unsigned, int64_t> flopsByLine;
  /// Predicted seconds under a time model (cost=roofline, measured).
  double forwardSeconds = 0;
  double backwardSeconds = 0;
  int64_t stashedBytes = 0;
  llvm::SmallVector<ValueInfo> stashed;
  llvm::SmallVector<ValueInfo> liveAtPeak;
  llvm::SmallVector<LoopReport> loops;
  /// The values the user's policies pin (remat.policy, remat.checkpoint):
  /// kept for backward, or never stashed and recomputed.
  llvm::SmallVector<ValueInfo> pinnedSave, pinnedRecompute;
};

/// Whether any op of `graph` carries a policy or a checkpoint id.
static bool hasPolicies(const TrainingGraph &graph) {
  return llvm::any_of(graph.getOps(), [](Operation *op) {
    return op->hasAttr(kPolicyAttrName) || op->hasAttr(kCheckpointAttrName);
  });
}

/// Bytes of the distinct buffers holding the stashed values; arguments and
/// constants are live anyway and do not count.
static int64_t getStashedBytes(const TrainingGraph &graph,
                               const MemorySimulator &sim) {
  llvm::SmallPtrSet<const Buffer *, 16> seen;
  int64_t total = 0;
  for (Value value : graph.getStashed()) {
    const Buffer *buffer = sim.getBuffer(value);
    if (buffer && buffer->kind == Buffer::Kind::Allocation &&
        seen.insert(buffer).second)
      total += buffer->bytes;
  }
  return total;
}

/// Bytes one iteration inserts into carried value `index` of `loop` in place
/// (a chain of tensor.insert_slice from the block argument to the yield).
static int64_t getInsertedBytes(scf::ForOp loop, unsigned index) {
  Value value = loop.getYieldedValues()[index];
  int64_t bytes = 0;
  while (auto insert = value.getDefiningOp<tensor::InsertSliceOp>()) {
    bytes += getStaticBytes(insert.getSourceType()).value_or(0);
    value = insert.getDest();
  }
  return value == loop.getRegionIterArgs()[index] ? bytes : 0;
}

static LoopReport describeLoop(const LoopModel &model,
                               const TrainingGraph &graph) {
  LoopReport report;
  report.model = &model;
  report.forward = graph.isForward(model.loop);
  auto loop = cast<scf::ForOp>(model.loop);
  for (OpResult result : loop.getResults())
    if (llvm::is_contained(graph.getStashed(), Value(result)) &&
        model.inPlace[result.getResultNumber()])
      report.stashPerIteration +=
          getInsertedBytes(loop, result.getResultNumber());
  return report;
}

struct RematReportPass : public impl::RematReportBase<RematReportPass> {
  using RematReportBase::RematReportBase;

  LogicalResult initialize(MLIRContext *context) override {
    std::string invalid =
        checkCostOptions(cost, peakGflops, bandwidthGbps, calibration);
    if (invalid.empty())
      return success();
    return emitError(UnknownLoc::get(context), "remat-report: ") << invalid;
  }

  void runOnOperation() override {
    std::optional<Calibration> measured;
    FailureOr<CostOptions> costOptions =
        loadCostOptions(getOperation(), "remat-report", cost, target,
                        peakGflops, bandwidthGbps, calibration, measured);
    if (failed(costOptions))
      return signalPassFailure();
    llvm::json::Array functions;
    for (auto fn : getOperation().getOps<FunctionOpInterface>()) {
      if (fn.isExternal())
        continue;
      functions.push_back(reportFunction(fn, *costOptions));
    }
    if (!reportFile.empty() &&
        failed(writeJsonFile(reportFile, std::move(functions),
                             getOperation().getLoc())))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }

  llvm::json::Object reportFunction(FunctionOpInterface fn,
                                    const CostOptions &costOptions) {
    const auto &graph = getChildAnalysis<TrainingGraph>(fn);
    const auto &costs = getChildAnalysis<CostModel>(fn);
    const auto &sim = getChildAnalysis<MemorySimulator>(fn);
    emitFindings(graph.getFindings());
    emitFindings(costs.getFindings());
    emitFindings(sim.getFindings());

    AsmState state(fn);
    FunctionReport report;
    report.name = fn.getName().str();
    report.trainingStep = graph.isTrainingStep();
    report.lossIndex = graph.getLossIndex();
    std::optional<TimeModel> times;
    if (costOptions.isTime()) {
      times.emplace(fn, costs, costOptions);
      emitFindings(times->getFindings());
    }
    for (Operation *op : graph.getOps()) {
      bool forward = graph.isForward(op);
      int64_t &phaseFlops = forward ? report.forwardFlops : report.backwardFlops;
      phaseFlops = addFlops(phaseFlops, costs.getFlops(op));
      if (auto loc = op->getLoc()->findInstanceOf<FileLineColLoc>())
        if (int64_t flops = costs.getFlops(op))
          report.flopsByLine[loc.getLine()] =
              addFlops(report.flopsByLine[loc.getLine()], flops);
      if (times)
        (forward ? report.forwardSeconds : report.backwardSeconds) +=
            times->getSeconds(op);
    }
    for (Value value : graph.getStashed())
      report.stashed.push_back(describeValue(value, sim, state));
    report.stashedBytes = getStashedBytes(graph, sim);
    if (!sim.getSteps().empty()) {
      for (const Buffer *buffer : sim.getLiveBuffers(sim.getPeakStep())) {
        if (report.liveAtPeak.size() == topValues)
          break;
        report.liveAtPeak.push_back(describeBuffer(*buffer, sim, state));
      }
    }
    for (const LoopModel &loop : sim.getLoops())
      report.loops.push_back(describeLoop(loop, graph));
    if (report.trainingStep && hasPolicies(graph) &&
        failed(describePins(graph, costs, sim, state, report)))
      signalPassFailure();
    emitRemarks(fn, report, sim, costOptions);
    return toJson(report, sim, costOptions);
  }

  /// The pins as the planning passes read them (readPolicies: a malformed
  /// policy is the same error here as there), each node by its last op's
  /// first result, the value backward reads.
  static LogicalResult describePins(const TrainingGraph &graph,
                                    const CostModel &costs,
                                    const MemorySimulator &sim,
                                    AsmState &state, FunctionReport &report) {
    PlanningProblem problem = extractPlanningProblem(graph, costs, sim);
    if (!problem.error.empty())
      return success();
    if (failed(readPolicies(graph, problem, /*segments=*/0, "remat-report")))
      return failure();
    for (auto [node, members] :
         llvm::zip(problem.problem.nodes, problem.members)) {
      if (node.policy == planner::Policy::Free || members.empty() ||
          members.back()->getNumResults() == 0)
        continue;
      ValueInfo info = describeValue(members.back()->getResult(0), sim, state);
      (node.policy == planner::Policy::Save ? report.pinnedSave
                                            : report.pinnedRecompute)
          .push_back(info);
    }
    return success();
  }

  void emitRemarks(FunctionOpInterface fn, const FunctionReport &report,
                   const MemorySimulator &sim,
                   const CostOptions &costOptions) {
    if (sim.getSteps().empty())
      return;
    Operation *peakOp = sim.getPeakOp();
    InFlightDiagnostic diag = emitRemark(fn.getLoc(), "remat-report: peak ");
    diag << formatBytes(sim.getPeakBytes()) << " (" << sim.getPeakBytes()
         << " bytes) at step " << sim.getPeakStep() << " of "
         << sim.getSteps().size() << " ('" << peakOp->getName() << "'); "
         << "arguments " << sim.getArgumentBytes() << " bytes";
    if (report.trainingStep)
      diag << "; forward " << report.forwardFlops << " FLOPs, backward "
           << report.backwardFlops << " FLOPs; stashed activations: "
           << report.stashed.size() << " values, " << report.stashedBytes
           << " bytes";
    if (report.trainingStep && costOptions.isTime())
      diag << "; predicted time (cost=" << costKindName(costOptions.kind)
           << "): forward " << formatSeconds(report.forwardSeconds)
           << ", backward " << formatSeconds(report.backwardSeconds);
    if (!report.pinnedSave.empty() || !report.pinnedRecompute.empty())
      diag << "; pinned by the step's policies: " << report.pinnedSave.size()
           << " saved, " << report.pinnedRecompute.size() << " recomputed";
    diag.attachNote(peakOp->getLoc()) << "the peak is reached here";
    for (const ValueInfo &info : report.liveAtPeak)
      diag.attachNote(info.loc)
          << "live at the peak: " << info.name << " ("
          << formatBytes(info.bytes) << ", " << info.bytes << " bytes), from '"
          << info.opName << "'";
    for (const ValueInfo &info : report.pinnedSave)
      diag.attachNote(info.loc) << "pinned save: " << info.name << " ("
                                << info.bytes << " bytes)";
    for (const ValueInfo &info : report.pinnedRecompute)
      diag.attachNote(info.loc) << "pinned recompute: " << info.name << " ("
                                << info.bytes << " bytes)";
    for (const LoopReport &loop : report.loops)
      emitLoopRemark(loop);
  }

  static void emitLoopRemark(const LoopReport &loop) {
    const LoopModel &model = *loop.model;
    InFlightDiagnostic diag = emitRemark(model.loop->getLoc(), "remat-report: ");
    diag << (loop.forward ? "forward" : "backward") << " loop of ";
    if (model.tripCount < 0)
      diag << "unknown trip count";
    else
      diag << model.tripCount << " iterations";
    diag << "; one iteration's buffers peak at " << model.bodyPeakBytes
         << " bytes; carries " << model.inPlace.size() << " values, "
         << llvm::count(model.inPlace, true) << " written in place";
    if (loop.stashPerIteration)
      diag << "; stashes " << loop.stashPerIteration << " bytes per iteration ("
           << loop.stashPerIteration * std::max<int64_t>(model.tripCount, 0)
           << " in all)";
  }

  llvm::json::Object toJson(const FunctionReport &report,
                            const MemorySimulator &sim,
                            const CostOptions &costOptions) {
    llvm::json::Array timeline, timelineOps;
    for (auto [op, live] : llvm::zip(sim.getSteps(), sim.getTimeline())) {
      timeline.push_back(live);
      timelineOps.push_back(op->getName().getStringRef());
    }
    llvm::json::Object flopsByLine;
    for (auto [line, flops] : report.flopsByLine)
      flopsByLine[std::to_string(line)] = flops;
    llvm::json::Object object{
        {"function", report.name},
        {"training_step", report.trainingStep},
        {"loss_index", report.lossIndex},
        {"peak_bytes", sim.getPeakBytes()},
        {"peak_step", sim.getPeakStep()},
        {"argument_bytes", sim.getArgumentBytes()},
        {"forward_flops", report.forwardFlops},
        {"backward_flops", report.backwardFlops},
        {"flops_by_line", std::move(flopsByLine)},
        {"stashed_count", report.stashed.size()},
        {"stashed_bytes", report.stashedBytes},
        {"stashed", toJson(report.stashed)},
        {"live_at_peak", toJson(report.liveAtPeak)},
        {"timeline", std::move(timeline)},
        {"timeline_ops", std::move(timelineOps)},
        {"loops", toJson(report.loops)},
        {"pinned_save", toJson(report.pinnedSave)},
        {"pinned_recompute", toJson(report.pinnedRecompute)},
    };
    if (costOptions.isTime()) {
      object["cost_model"] = costKindName(costOptions.kind);
      object["forward_seconds"] = report.forwardSeconds;
      object["backward_seconds"] = report.backwardSeconds;
    }
    if (Operation *peakOp = sim.getPeakOp()) {
      object["peak_op"] = peakOp->getName().getStringRef();
      object["peak_loc"] = formatLocation(peakOp->getLoc());
    }
    return object;
  }

  static llvm::json::Array toJson(llvm::ArrayRef<LoopReport> loops) {
    llvm::json::Array array;
    for (const LoopReport &loop : loops) {
      const LoopModel &model = *loop.model;
      llvm::json::Array inPlace;
      for (bool written : model.inPlace)
        inPlace.push_back(written);
      array.push_back(llvm::json::Object{
          {"loc", formatLocation(model.loop->getLoc())},
          {"phase", loop.forward ? "forward" : "backward"},
          {"trip_count", model.tripCount},
          {"body_peak_bytes", model.bodyPeakBytes},
          {"carried_in_place", std::move(inPlace)},
          {"stash_bytes_per_iteration", loop.stashPerIteration},
          {"stash_bytes", loop.stashPerIteration *
                              std::max<int64_t>(model.tripCount, 0)}});
    }
    return array;
  }

  static llvm::json::Array toJson(llvm::ArrayRef<ValueInfo> values) {
    llvm::json::Array array;
    for (const ValueInfo &info : values)
      array.push_back(llvm::json::Object{{"value", info.name},
                                         {"op", info.opName},
                                         {"bytes", info.bytes},
                                         {"loc", formatLocation(info.loc)}});
    return array;
  }
};

} // namespace
} // namespace remat
