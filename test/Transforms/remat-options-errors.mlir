// Invalid pass options are rejected before the pass touches the IR: one error
// that says what is expected, once, without the module dumped after it.
// `solver=` is an enum option: its parser names the solvers it knows.
// RUN: not remat-opt %s '--remat-checkpoint=solver=bogus budget=0.5' 2>&1 | FileCheck %s --check-prefix=SOLVER --implicit-check-not="see current operation"
// SOLVER: for the --solver option: unknown solver 'bogus'; expected fast, exact, keep-all, recompute-all, sqrtn, knapsack or manual

// RUN: not remat-opt %s '--remat-checkpoint=budget=lots' 2>&1 | FileCheck %s --check-prefix=BUDGET --implicit-check-not="see current operation"
// BUDGET: error: remat-checkpoint: invalid budget 'lots': no number (expected

// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 time-limit=nan' 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 time-limit=inf' 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 time-limit=-1' 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 time-limit=1e999' 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not remat-opt %s '--remat-frontier=time-limit=0' 2>&1 | FileCheck %s --check-prefix=LIMIT
// LIMIT: error: remat-{{checkpoint|frontier}}: the time limit must be a number of seconds in (0, 604800], got

// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 effort=0' 2>&1 | FileCheck %s --check-prefix=EFFORT --implicit-check-not="see current operation"
// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 effort=65' 2>&1 | FileCheck %s --check-prefix=EFFORT
// EFFORT: <unknown>:0: error: remat-checkpoint: effort must be from 1 to 64, got {{0|65}}

// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 levels=1' 2>&1 | FileCheck %s --check-prefix=LEVELS --implicit-check-not="see current operation"
// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 levels=1025' 2>&1 | FileCheck %s --check-prefix=LEVELS
// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 levels=-3' 2>&1 | FileCheck %s --check-prefix=LEVELS
// LEVELS: <unknown>:0: error: remat-checkpoint: levels must be 0 (by graph size) or from 2 to 1024, got {{1|1025|-3}}

// points=100000 planned for minutes.
// RUN: not remat-opt %s '--remat-frontier=points=100000' 2>&1 | FileCheck %s --check-prefix=POINTS --implicit-check-not="see current operation"
// POINTS: <unknown>:0: error: remat-frontier: points must be from 1 to 1000, got 100000
// RUN: not remat-opt %s '--remat-frontier=solver=bogus' 2>&1 | FileCheck %s --check-prefix=FRONTIER-SOLVER
// FRONTIER-SOLVER: for the --solver option: unknown solver 'bogus'; expected fast

func.func @step(%x: tensor<4xf32>) -> (tensor<4xf32> {remat.loss}, tensor<4xf32>) {
  %y = math.exp %x : tensor<4xf32>
  %g = math.exp %y : tensor<4xf32>
  return %y, %g : tensor<4xf32>, tensor<4xf32>
}
