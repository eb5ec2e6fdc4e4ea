//===- Passes.td - remat passes ----------------------------*- tablegen -*-===//

#ifndef REMAT_TRANSFORMS_PASSES
#define REMAT_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

// How the planning passes cost an op (docs/cost-model.md): FLOPs, or a time
// predicted by a roofline or measured per op (remat-calibrate).
defvar RematCostOptions = [
  Option<"cost", "cost", "::remat::CostKind",
         /*default=*/"::remat::CostKind::Flops",
         "What a recomputation costs: flops, roofline (time from per-target "
         "FLOP rate and bandwidth) or measured (per-op times of a "
         "calibration file)", "::remat::CostKindOptionValues()">,
  Option<"target", "target", "::remat::CostTarget",
         /*default=*/"::remat::CostTarget::Cpu",
         "The machine cost=roofline predicts for (cpu, gpu); cost=measured's "
         "calibration must be for it", "::remat::CostTargetOptionValues()">,
  Option<"peakGflops", "peak-gflops", "double", /*default=*/"0.0",
         "Roofline FLOP rate in GFLOP/s (0: the target's)">,
  Option<"bandwidthGbps", "bandwidth-gbps", "double", /*default=*/"0.0",
         "Roofline memory bandwidth in GB/s (0: the target's)">,
  Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
         "cost=measured's per-op times: a JSON file remat-calibrate "
         "writes">,
];

def RematReport : Pass<"remat-report", "mlir::ModuleOp"> {
  let summary = "Report where a training step's memory goes";
  let description = [{
    For each function: the peak of live bytes and the op at the peak, the
    forward and backward FLOPs, the stashed activations (forward values the
    backward pass uses: count and bytes), and the largest values live at the
    peak. Emitted as remarks at each function; with `report-file=<path>`, also
    written as a JSON array with one object per function (peak under
    `peak_bytes`, the live bytes of every step under `timeline`). The IR is
    not changed. With `cost=roofline` or `cost=measured` (docs/cost-model.md)
    it also gives the forward and backward predicted times
    (`forward_seconds`, `backward_seconds`).

    ```mlir
    // remat-opt --remat-report examples/mlp.mlir
    func.func @train_step(...) -> (tensor<f32> {remat.loss}, ...)
    // remark: remat-report: peak 292.8 KiB (299860 bytes) at step 47 of 60
    //         ('linalg.fill'); arguments 113960 bytes; forward 1672768 FLOPs,
    //         backward 2818688 FLOPs; stashed activations: 3 values, 34048
    //         bytes
    ```
  }];
  let options = !listconcat([
    Option<"reportFile", "report-file", "std::string", /*default=*/"\"\"",
           "Also write the report as JSON to this file ('-' for stdout)">,
    Option<"topValues", "top-values", "unsigned", /*default=*/"5",
           "How many of the largest values live at the peak to list">,
  ], RematCostOptions);
  // cost=measured builds each op's kernel (a func.func) to find its time.
  let dependentDialects = ["::remat::RematDialect", "::mlir::func::FuncDialect"];
}

def RematCheckpoint : Pass<"remat-checkpoint", "mlir::ModuleOp"> {
  let summary = "Fit each training step into a memory budget by recomputation";
  let description = [{
    Plans each training step (see docs/planner.md): chooses which stashed
    activations to keep and which to recompute so that the simulated peak is
    at most `budget` at the least recompute cost (FLOPs, or predicted time
    with `cost=roofline` or `cost=measured`, docs/cost-model.md), re-checks
    the plan with the
    memory simulator, then rewrites the function: each recomputation is a
    `remat.recompute` region placed right before the backward op that needs
    it, and that op's uses are rewired to the region's results. Forward ops are
    untouched. Only ops free of memory effects are recomputed.

    An infeasible budget is an error at the function naming the smallest
    feasible budget. Without `budget` the pass changes nothing (except with
    `solver=manual`).

    Policies (docs/user-guide.md, "From torch.utils.checkpoint to remat"):
    `remat.policy = "save"` on a forward op keeps its results,
    `remat.policy = "recompute"` never stashes them (backward recomputes
    them), and `remat.checkpoint = <integer id>` marks the ops of one
    `torch.utils.checkpoint` call: inside it nothing is stashed, what it reads
    from outside is kept. Every solver honours them; `solver=manual` applies
    them and nothing else (no budget needed), `segments=N` places the regions
    of `checkpoint_sequential` with N segments. Contradictions are errors at
    the op.

    ```mlir
    %h = math.tanh %a {remat.policy = "recompute"} : tensor<64x64xf32>
    // remat-opt --remat-checkpoint="solver=manual": %h is recomputed for
    // backward from %a, which is kept.
    ```

    Before (%h is stashed for the backward matmul):
    ```mlir
    %h = math.tanh %a : tensor<64x64xf32>
    ... forward, loss ...
    %dw = linalg.matmul ins(%hT, %dz ...) ...   // %hT = transpose %h
    ```
    After, with a budget that cannot keep %h:
    ```mlir
    %h = math.tanh %a : tensor<64x64xf32>
    ...
    %h2 = remat.recompute (%x = %a) : (tensor<64x64xf32>) -> tensor<64x64xf32> {
      %t = math.tanh %x : tensor<64x64xf32>
      remat.yield %t : tensor<64x64xf32>
    }
    %hT = linalg.transpose ins(%h2 ...) ...
    ```
  }];
  let options = !listconcat([
    Option<"budget", "budget", "std::string", /*default=*/"\"\"",
           "Memory budget: bytes with a unit (512MiB, 2GB, 1073741824) or a "
           "fraction in (0, 1] of the unplanned peak">,
    Option<"solver", "solver", "::remat::planner::SolverKind",
           /*default=*/"::remat::planner::SolverKind::Fast",
           "The solver to plan with", "::remat::SolverOptionValues()">,
    Option<"timeLimit", "time-limit", "double", /*default=*/"60.0",
           "Time limit of the exact solver, in seconds">,
    Option<"mipSolver", "mip-solver", "::remat::planner::MipSolver",
           /*default=*/"::remat::planner::MipSolver::Highs",
           "The exact solver's MILP solver", "::remat::MipSolverOptionValues()">,
    Option<"planFile", "plan-file", "std::string", /*default=*/"\"\"",
           "Also write each function's plan as JSON to this file ('-' for "
           "stdout): peaks, budget, kept and recomputed activations (with "
           "the policy that pins them), recompute FLOPs, solve time, live "
           "bytes before and after">,
    Option<"segments", "segments", "unsigned", /*default=*/"0",
           "Checkpoint regions as torch.utils.checkpoint_sequential with this "
           "many segments places them: the forward ops split in program order "
           "into segments of equal FLOPs, all but the last checkpointed (0: "
           "the remat.checkpoint attributes of the IR)">,
    Option<"effort", "effort", "int", /*default=*/"1",
           "Search effort of solver=fast (and of exact's fast start), 1-64: "
           "its stage search (graphs up to 400 nodes) runs this many rounds "
           "of kicks and restarts, each from the best so far, at this many "
           "times the time; never dearer than 1 from the same start "
           "(docs/planner.md, Search effort)">,
    Option<"levels", "levels", "int", /*default=*/"0",
           "Levels of solver=fast's monotone frontier, each a solve at one "
           "budget. 0 (the default): 32 evenly spaced from the smallest "
           "feasible budget to the unplanned peak up to 400 nodes; every "
           "whole percent of the unplanned peak up to 5000 nodes (a budget "
           "such as 0.8 is a level); every 5th percent above. 2-1024: that "
           "many evenly spaced. More levels answer closer to a plain solve "
           "at the budget, at proportionally more solves (docs/planner.md, "
           "More levels)">,
  ], RematCostOptions);
  // cost=measured builds each op's kernel (a func.func) to find its time.
  let dependentDialects = ["::remat::RematDialect", "::mlir::func::FuncDialect"];
}

def RematFrontier : Pass<"remat-frontier", "mlir::ModuleOp"> {
  let summary = "The memory / recompute trade-off of each training step";
  let description = [{
    Plans each training step at `points` budgets spread evenly from its
    unplanned peak down to the smallest feasible budget and reports the Pareto
    frontier: the budgets at which less memory costs more recompute. Remarks
    list the points; `report-file=<path>` writes them as JSON (one object per
    function, points under `frontier`, each with `budget_bytes`,
    `planned_peak_bytes`, `recompute_flops`, `overhead_percent` and the cost
    model's `predicted_overhead_percent`). The IR is not changed.

    ```mlir
    // remat-opt --remat-frontier="points=5" examples/mlp.mlir
    // remark: remat-frontier: 2 points (peak bytes at recompute % of the
    //         step): 299860 at 0.00%; 283476 at 11.86%;
    ```
  }];
  let options = !listconcat([
    Option<"points", "points", "unsigned", /*default=*/"10",
           "How many budgets to plan at">,
    Option<"solver", "solver", "::remat::planner::SolverKind",
           /*default=*/"::remat::planner::SolverKind::Fast",
           "The solver to plan with", "::remat::SolverOptionValues()">,
    Option<"timeLimit", "time-limit", "double", /*default=*/"10.0",
           "Time limit of the exact solver per point, in seconds">,
    Option<"mipSolver", "mip-solver", "::remat::planner::MipSolver",
           /*default=*/"::remat::planner::MipSolver::Highs",
           "The exact solver's MILP solver", "::remat::MipSolverOptionValues()">,
    Option<"reportFile", "report-file", "std::string", /*default=*/"\"\"",
           "Also write the frontier as JSON to this file ('-' for stdout)">,
  ], RematCostOptions);
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def RematLocalizeInits : Pass<"remat-localize-inits"> {
  let summary = "Give every destination-style op a fresh destination of its own";
  let description = [{
    Where a destination-style op writes into a fresh destination (a
    `tensor.empty`, or a `linalg.fill` of a scalar into one) that is shared
    with other ops or made far from it, re-makes that destination right
    before the op; the originals go when nothing reads them any more.
    Frontends (torch-mlir shares one zero fill between all matmuls of a
    shape) and CSE produce such sharing; bufferization would then copy the
    shared fill for every writer but the last and keep it alive until the
    last. `remat-checkpoint` localizes before it plans, and the
    `remat-bufferize` pipeline before it bufferizes, so the program
    allocates each buffer right before its first writer, as remat's memory
    model counts it (docs/memory-model.md).

    ```mlir
    %e = tensor.empty() : tensor<4x4xf32>
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
    %a = linalg.matmul ins(%x, %y : ...) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
    %b = linalg.matmul ins(%a, %y : ...) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
    // becomes
    %e0 = tensor.empty() : tensor<4x4xf32>
    %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %a = linalg.matmul ins(%x, %y : ...) outs(%z0 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %e1 = tensor.empty() : tensor<4x4xf32>
    %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x4xf32>) -> tensor<4x4xf32>
    %b = linalg.matmul ins(%a, %y : ...) outs(%z1 : tensor<4x4xf32>) -> tensor<4x4xf32>
    ```
  }];
}

def RematInlineRecompute : Pass<"remat-inline-recompute"> {
  let summary = "Dissolve remat.recompute regions into plain ops";
  let description = [{
    Moves the body of each `remat.recompute` in place of the op and replaces
    its results with the yielded values. Run it right before bufferization and
    not earlier: while the recomputation sits in a region that is isolated
    from above, CSE cannot see that it computes the same values as the
    forward ops and merge them back, which would undo the plan (the forward
    values would be kept alive again).

    Then it erases the ops whose results nothing reads (upstream region DCE),
    and the ops only they read: remat's memory model counts no buffer for
    them, and a plan can leave some (a backward op it runs and then only
    recomputes again before its reader, with the recomputation that fed its
    first run).

    ```mlir
    %r = remat.recompute (%x = %a) : (tensor<4xf32>) -> tensor<4xf32> {
      %t = math.tanh %x : tensor<4xf32>
      remat.yield %t : tensor<4xf32>
    }
    // becomes
    %r = math.tanh %a : tensor<4xf32>
    ```
  }];
}

def RematLoopCheckpoint : Pass<"remat-loop-checkpoint", "mlir::ModuleOp"> {
  let summary = "Checkpoint a forward scf.for whose stash a reverse loop reads";
  let description = [{
    Recognizes a forward `scf.for` (0 to L by 1) that carries stacked stash
    tensors (empty at first, a `tensor.insert_slice` at the induction variable
    per iteration) and the reverse `scf.for` that reads them back (slice
    L - 1 - j at iteration j), and rewrites the pair so that the stash is no
    longer kept: the backward re-runs forward iterations from checkpoints of
    the loop's other carried values (its state). The IR stays O(1) in L.

    `schedule=binomial` (the default) is Griewank's binomial (Revolve)
    schedule for `checkpoints` = c slots: the fewest re-run iterations of any
    schedule with c checkpoints, t(L, c) = r L - C(c + r, r - 1) for the least
    r with C(c + r, r) >= L. The checkpoints are a stack of c + 1 states (the
    last one the working state); the forward loop stores at the split points,
    and each backward iteration restores the newest checkpoint at or before
    its layer, advances to it (storing new checkpoints) and re-runs that one
    iteration with its stash. Split points are computed at run time by index
    arithmetic (`scf.while`), so nothing is unrolled. Without `checkpoints`,
    the least c that re-runs each iteration at most twice (r = 2).

    `schedule=two-level`: c segments of k = L / c iterations; the forward
    keeps the state at each segment's start, the backward re-runs each
    segment into a stash of k slices: L re-run iterations for every c.
    Without `checkpoints`, the divisor of L nearest sqrt(L).

    `budget` (bytes or a fraction of the unplanned peak, as for
    remat-checkpoint) chooses c instead: the fewest re-run iterations whose
    predicted peak (the memory model of the rewritten step) fits. A budget
    the unplanned step fits leaves the loops alone; one below every schedule
    is an error naming the smallest feasible budget. Loops the pass does not
    recognize are left alone, with a warning when they look like a half of
    the pattern (docs/planner.md, "Loops").

    ```mlir
    %fw:2 = scf.for %i = %c0 to %c8 step %c1 iter_args(%h = %x, %st = %e) {
      ... %h ... -> %h2
      %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 64] [1, 1]
      scf.yield %h2, %st2
    }
    %bw = scf.for %j = %c0 to %c8 step %c1 iter_args(%g = %dout) {
      %i = arith.subi %c7, %j : index
      %hi = tensor.extract_slice %fw#1[%i, 0] [1, 64] [1, 1] ...
    }
    // becomes, with checkpoints=2: a tensor<3x64xf32> stack; a forward loop
    // of 7 iterations that checkpoints %h at its split points, then
    // iteration 7 with its stash for the first backward iteration; a
    // backward loop of 7 iterations that finds its checkpoint (scf.while),
    // advances from it (an scf.for of run-time length) and re-runs its
    // iteration with the stash: t(8, 2) = 14 re-run iterations in all.
    ```
  }];
  let options = [
    Option<"schedule", "schedule", "::remat::LoopSchedule",
           /*default=*/"::remat::LoopSchedule::Binomial",
           "How to checkpoint the loop",
           [{::llvm::cl::values(
             clEnumValN(::remat::LoopSchedule::Binomial, "binomial",
                        "Griewank's binomial (Revolve) schedule: the fewest "
                        "re-run iterations for c checkpoints"),
             clEnumValN(::remat::LoopSchedule::TwoLevel, "two-level",
                        "c segments, each re-run once into a stash of its "
                        "iterations"))}]>,
    Option<"checkpoints", "checkpoints", "unsigned", /*default=*/"0",
           "Checkpoints: binomial, slots (1 to L - 1); two-level, segments "
           "(a divisor of L). 0: the schedule's default">,
    Option<"budget", "budget", "std::string", /*default=*/"\"\"",
           "Memory budget instead of checkpoints: bytes with a unit (512MiB, "
           "2GB, 1073741824) or a fraction in (0, 1] of the unplanned peak">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def RematExtractKernels : Pass<"remat-extract-kernels", "mlir::ModuleOp"> {
  let summary = "Replace the module by one kernel per distinct op, to time";
  let description = [{
    For `remat-calibrate` (cost=measured, docs/cost-model.md): each op of
    the module's functions that can run alone becomes a function of its
    own, `@k_<key>` (buildKernel, getKernelKey in TimeModel.h): the values
    it reads are arguments, except empty tensors and constants, which are
    cloned in, and it returns its results. Ops that compute the same thing
    on the same shapes share one kernel. The functions get
    `remat.kernel_key` and `remat.kernel_op`; everything else in the module
    is dropped.

    ```mlir
    func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
      %e = tensor.empty() : tensor<4xf32>
      %y = linalg.exp ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
      return %y : tensor<4xf32>
    }
    // becomes
    func.func @k_<key>(%arg0: tensor<4xf32>) -> tensor<4xf32>
        attributes {remat.kernel_key = "<key>", remat.kernel_op = "linalg.exp"} {
      %0 = tensor.empty() : tensor<4xf32>
      %1 = linalg.exp ins(%arg0 : tensor<4xf32>) outs(%0 : tensor<4xf32>) -> tensor<4xf32>
      return %1 : tensor<4xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def RematInstrumentOps : Pass<"remat-instrument-ops", "mlir::ModuleOp"> {
  let summary = "Call a clock before each top-level op, to time ops inside the step";
  let description = [{
    For `remat-calibrate`'s in-step mode and `remat-run --op-times`
    (docs/cost-model.md): before each top-level op of every function with a
    body, and before its return, inserts a call of the runtime's clock,
    `func.call @remat_tick(%i)` with the op's index `%i` an `i64` constant
    (a `func.func private @remat_tick(i64)` declaration is added). The time
    from tick `i` to tick `i + 1` is op `i`: an op with regions (a
    `remat.recompute`, an `scf.for`) counts as one op, and so do the
    allocations and frees the lowering places between its ticks. Indices
    run on across the module's functions, so each is unique. tools/remat-run's
    TickRuntime.c keeps each op's fastest time over the steps run.

    `map-file=` writes which op each index is: per function, each op's
    index, name, location and calibration key (`getKernelKey`, the key
    `remat-extract-kernels` gives its kernel; null for an op with none),
    where each of its operands comes from (`[index, result number]` of the
    top-level op that defines it, or null) and, for a `remat.recompute`,
    the name and location of the op each result recomputes (`yields`), all
    computed before any tick is inserted, and the index of the return's
    tick.
    A function body of more than one block is an error: lower unstructured
    control flow after instrumenting.

    ```mlir
    func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
      %y = math.tanh %x : tensor<4xf32>
      return %y : tensor<4xf32>
    }
    // becomes
    func.func private @remat_tick(i64)
    func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
      %c0 = arith.constant 0 : i64
      call @remat_tick(%c0) : (i64) -> ()
      %y = math.tanh %x : tensor<4xf32>
      %c1 = arith.constant 1 : i64
      call @remat_tick(%c1) : (i64) -> ()
      return %y : tensor<4xf32>
    }
    ```
  }];
  let options = [
    Option<"tick", "tick", "std::string", /*default=*/"\"remat_tick\"",
           "The clock function called before each op (i64 index, no "
           "result); declared private unless the module declares it">,
    Option<"mapFile", "map-file", "std::string", /*default=*/"\"\"",
           "Also write each index's op and calibration key as JSON to this "
           "file ('-' for stdout)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

def RematTestTrainingGraph
    : Pass<"remat-test-training-graph", "mlir::func::FuncOp"> {
  let summary = "Annotate ops with the TrainingGraph analysis (for tests)";
  let description = [{
    Sets `remat.phase = "forward" | "backward"` on each op of the entry block
    and `remat.stashed` (the indices of the stashed results) on the ops whose
    results the backward pass uses, and emits the analysis' remarks.
  }];
}

def RematTestCostModel : Pass<"remat-test-cost-model", "mlir::func::FuncOp"> {
  let summary = "Annotate ops with the CostModel analysis (for tests)";
  let description = [{
    Sets `remat.test.flops`, `remat.test.bytes_moved` and `remat.test.bytes`
    (bytes of each result) on each op of the entry block, and emits the
    analysis' remarks (ops without a cost model).
  }];
}

def RematTestMemorySimulator
    : Pass<"remat-test-memory-simulator", "mlir::func::FuncOp"> {
  let summary = "Annotate ops with the MemorySimulator analysis (for tests)";
  let description = [{
    Sets `remat.test.live` (live bytes during the step) on each simulated op,
    `remat.test.buffer` (the buffer id of each tensor result, -1 for none),
    and `remat.test.peak` / `remat.test.peak_step` on the function.
  }];
}

#endif // REMAT_TRANSFORMS_PASSES
