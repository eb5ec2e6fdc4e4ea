//===- Planning.cpp - A function analysed for planning --------------------===//

#include "remat/Transforms/Planning.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

namespace remat {

FunctionPlanning::FunctionPlanning(FunctionOpInterface fn)
    : graph(fn), costs(fn), sim(fn),
      problem(extractPlanningProblem(graph, costs, sim)) {
  unplannedPeak = sim.getPeakBytes();
  for (Operation *op : graph.getOps())
    stepFlops += costs.getFlops(op);
  if (problem.error.empty())
    smallestFeasible = planner::smallestFeasibleBudget(problem.problem);
}

std::unique_ptr<FunctionPlanning>
FunctionPlanning::analyze(FunctionOpInterface fn, StringRef pass) {
  auto planning = std::make_unique<FunctionPlanning>(fn);
  emitFindings(planning->graph.getFindings());
  if (!planning->graph.isTrainingStep())
    return nullptr;
  if (!planning->problem.error.empty()) {
    emitRemark(fn.getLoc()) << pass << ": cannot plan: "
                            << planning->problem.error << "; left unchanged";
    return nullptr;
  }
  return planning;
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
