//===- RandomGraph.h - Seeded synthetic training graphs ----------*- C++ -*-===//
//
// For property tests and solve-time scaling: a forward chain with residual
// skips, a loss, and a mirrored backward pass whose gradient nodes read the
// activations of their layer (the stashed values) and the gradients of the
// layer's consumers. Same seed, same graph, on every platform.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_RANDOMGRAPH_H
#define REMAT_PLANNER_RANDOMGRAPH_H

#include "remat/Planner/Problem.h"

#include <cstdint>

namespace remat::planner {

/// About `numNodes` nodes (at least 4; half forward, half backward). Node 0 is
/// the batch and is not recomputable; nodes without consumers are outputs.
Problem randomTrainingGraph(int numNodes, uint64_t seed);

} // namespace remat::planner

#endif // REMAT_PLANNER_RANDOMGRAPH_H
