//===- PlanningProblem.h - A function as the planner sees it ----*- C++ -*-===//
#ifndef REMAT_ANALYSIS_PLANNINGPROBLEM_H
#define REMAT_ANALYSIS_PLANNINGPROBLEM_H

#include "remat/Analysis/CostModel.h"
#include "remat/Analysis/MemorySimulator.h"
#include "remat/Analysis/TrainingGraph.h"
#include "remat/Planner/Problem.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

#include <string>

namespace remat {

/// True for ops that allocate nothing and cost nothing: tensor.empty,
/// constants and views. The planner does not see them; the rewrite
/// re-materializes them wherever a recomputation needs them.
bool isFreeOp(mlir::Operation *op);

/// A training step as a planner::Problem, and the ops behind each node.
///
/// A node is one buffer of the memory model with the ops that write it: the op
/// that allocates it and the destination-style ops that write into it in place
/// (a fill and the matmul accumulating into it are one node). Its bytes are the
/// buffer's, its cost the FLOPs of its ops, its position the last of its ops.
/// A consumer of any value of the buffer, directly or through views, reads the
/// node. Arguments are `alwaysLiveBytes`; returned buffers are outputs.
/// Recomputable nodes are forward nodes whose ops are all free of memory
/// effects.
struct PlanningProblem {
  planner::Problem problem;
  /// The ops of each node, in program order.
  std::vector<llvm::SmallVector<mlir::Operation *, 2>> members;
  llvm::DenseMap<mlir::Operation *, int> nodeOf;
  /// Why the function cannot be planned; empty when it can.
  std::string error;
  /// The op the error is about, when it is about one, and an op that
  /// explains it (the later in-place writer it reads across).
  mlir::Operation *errorOp = nullptr;
  mlir::Operation *errorNoteOp = nullptr;
  std::string errorNote;

  /// The node whose buffer holds `value` (through views), or -1 for values
  /// with no node (arguments, constants, empty tensors, scalars).
  int getProducerNode(mlir::Value value) const;
};

PlanningProblem extractPlanningProblem(const TrainingGraph &graph,
                                       const CostModel &costs,
                                       const MemorySimulator &sim);

} // namespace remat

#endif // REMAT_ANALYSIS_PLANNINGPROBLEM_H
