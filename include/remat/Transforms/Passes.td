//===- Passes.td - remat passes ----------------------------*- tablegen -*-===//

#ifndef REMAT_TRANSFORMS_PASSES
#define REMAT_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def RematReport : Pass<"remat-report", "mlir::ModuleOp"> {
  let summary = "Report where a training step's memory goes";
  let description = [{
    For each function: the peak of live bytes and the op at the peak, the
    forward and backward FLOPs, the stashed activations (forward values the
    backward pass uses: count and bytes), and the largest values live at the
    peak. Emitted as remarks at each function; with `report-file=<path>`, also
    written as a JSON array with one object per function (peak under
    `peak_bytes`, the live bytes of every step under `timeline`). The IR is
    not changed.

    ```mlir
    // remat-opt --remat-report examples/mlp.mlir
    func.func @train_step(...) -> (tensor<f32> {remat.loss}, ...)
    // remark: remat-report: peak 364 KiB (372736 bytes) at step 41 of 60
    //         ('linalg.matmul'); forward 1.2 MFLOP, backward 2.4 MFLOP;
    //         stashed activations: 6 values, 81920 bytes
    ```
  }];
  let options = [
    Option<"reportFile", "report-file", "std::string", /*default=*/"\"\"",
           "Also write the report as JSON to this file ('-' for stdout)">,
    Option<"topValues", "top-values", "unsigned", /*default=*/"5",
           "How many of the largest values live at the peak to list">,
  ];
  let dependentDialects = ["::remat::RematDialect"];
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
