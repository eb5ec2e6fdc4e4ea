// The cost models of the planning passes (docs/cost-model.md). The chain
// below alternates exp and matmul layers; a calibration that measured the
// exp 500x slower than the matmul (Inputs/cost-calibration.json) turns the
// plan around: FLOPs recompute the two cheap exps, measured time an exp and
// a matmul.
// RUN: remat-opt %s --remat-checkpoint="budget=0.8" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FLOPS
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 cost=measured calibration=%S/Inputs/cost-calibration.json plan-file=%t.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=MEASURED --implicit-check-not=warning
// RUN: FileCheck %s --check-prefix=PLAN < %t.json
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 cost=roofline" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ROOFLINE
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 cost=roofline target=gpu peak-gflops=1 bandwidth-gbps=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=OVERRIDE
// RUN: remat-opt %s --remat-report="cost=roofline report-file=%t.report.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: FileCheck %s --check-prefix=REPORT-JSON < %t.report.json
// RUN: remat-opt %s --remat-frontier="points=4 cost=measured calibration=%S/Inputs/cost-calibration.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FRONTIER
// A calibration that says recomputing the exp costs the step little
// (recompute_seconds: what its readers save reading it just recomputed
// offsets its time) plans as FLOPs do; the step's time is still the sum of
// the ops' seconds.
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 cost=measured calibration=%S/Inputs/cost-calibration-recompute.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=RECOMPUTE
// A calibration without the matmul's kernel: its ops cost their roofline
// time, and a warning counts them.
// RUN: grep -v linalg.matmul %S/Inputs/cost-calibration.json > %t.partial.json
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 cost=measured calibration=%t.partial.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=PARTIAL
// The calibration's keys are those of this step's kernels: a change of the
// key scheme fails here, not silently in the plans above.
// RUN: remat-opt %s --remat-extract-kernels | FileCheck %s --check-prefix=KEYS

// FLOPS: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time
// FLOPS: remark: remat-checkpoint: keep %3 (4096 bytes)
// FLOPS: remark: remat-checkpoint: recompute %4 (4096 bytes, 1024 FLOPs) 1 time
// FLOPS: recompute 2048 FLOPs, 1.46% of the step; solver fast
// MEASURED: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time
// MEASURED: remark: remat-checkpoint: recompute %3 (4096 bytes, 65536 FLOPs) 1 time
// MEASURED: remark: remat-checkpoint: keep %4 (4096 bytes)
// MEASURED: recompute 66560 FLOPs, 47.45% of the step; predicted time (cost=measured): recompute 1.002 ms, 33.29% of the step's 3.010 ms; solver fast
// RECOMPUTE: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time
// RECOMPUTE: remark: remat-checkpoint: keep %3 (4096 bytes)
// RECOMPUTE: remark: remat-checkpoint: recompute %4 (4096 bytes, 1024 FLOPs) 1 time
// RECOMPUTE: recompute 2048 FLOPs, 1.46% of the step; predicted time (cost=measured): recompute 2.000 us, 0.07% of the step's 3.010 ms
// PLAN: "cost_model": "measured"
// PLAN: "overhead_percent": 47.4
// PLAN: "predicted_overhead_percent": 33.29
// PLAN: "recompute_flops": 66560
// PLAN: "recompute_seconds": 0.0010021
// PLAN: "step_seconds": 0.00301
// The roofline (cpu: 160 GFLOP/s, 20 GB/s) finds the exps as cheap as
// FLOPs do; its times are 4096-byte tensors read and written at 20 GB/s.
// ROOFLINE: recompute 2048 FLOPs, 1.46% of the step; predicted time (cost=roofline): recompute 0.819 us, 12.50% of the step's 6.554 us
// At 1 GFLOP/s and 1 GB/s the target's constants are overridden.
// OVERRIDE: predicted time (cost=roofline): recompute 32.768 us, 12.90% of the step's 253.964 us
// REPORT: remark: remat-report: peak 32.0 KiB (32772 bytes) {{.*}}; predicted time (cost=roofline): forward 3.482 us, backward 3.072 us
// REPORT-JSON: "backward_seconds": 3.07
// REPORT-JSON: "cost_model": "roofline"
// REPORT-JSON: "forward_seconds": 3.48
// FRONTIER: remark: remat-frontier: 4 points (peak bytes at recompute % of the step's FLOPs / predicted time, cost=measured): 32772 at 0.00/0.00%; 28676 at 46.72/0.07%; 24580 at 47.45/33.29%; 20484 at
// PARTIAL: warning: 2 op(s) of @chain have no measured time in '{{.*}}partial.json' (this 'linalg.matmul' is the first); they cost their roofline time: `remat-calibrate -o {{.*}}partial.json STEP.mlir` measures them
// KEYS-DAG: func.func @k_ecb5d0d725c539ac({{.*}}remat.kernel_op = "math.exp"
// KEYS-DAG: func.func @k_9be5e464166e53c8({{.*}}remat.kernel_op = "linalg.fill"
// KEYS-DAG: func.func @k_bf4d40689ca2651e({{.*}}remat.kernel_op = "linalg.matmul"
// KEYS-DAG: func.func @k_3d4649e0b0822691({{.*}}remat.kernel_op = "linalg.fill"
// KEYS-DAG: func.func @k_1851bfc18bc34104({{.*}}remat.kernel_op = "linalg.generic"
// KEYS-DAG: func.func @k_d36bd8f6f877b9ae({{.*}}remat.kernel_op = "arith.mulf"
// KEYS-DAG: func.func @k_80b09b17c529c850({{.*}}remat.kernel_op = "arith.mulf"

#id = affine_map<(d0, d1) -> (d0, d1)>
#sum = affine_map<(d0, d1) -> ()>
// A chain of five 32x32 layers, exp and matmul in turn; every tensor is
// 4096 bytes.
func.func @chain(%x: tensor<32x32xf32>, %w: tensor<32x32xf32>) -> (tensor<f32> {remat.loss}, tensor<32x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<32x32xf32>
  %a1 = math.exp %x : tensor<32x32xf32>
  %e2 = tensor.empty() : tensor<32x32xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %a2 = linalg.matmul ins(%a1, %w : tensor<32x32xf32>, tensor<32x32xf32>) outs(%z2 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %a3 = math.exp %a2 : tensor<32x32xf32>
  %e4 = tensor.empty() : tensor<32x32xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %a4 = linalg.matmul ins(%a3, %w : tensor<32x32xf32>, tensor<32x32xf32>) outs(%z4 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %a5 = math.exp %a4 : tensor<32x32xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction", "reduction"]}
      ins(%a5 : tensor<32x32xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  // Backward: reads the layers from the last down.
  %g5 = arith.mulf %one, %a5 : tensor<32x32xf32>
  %g4 = arith.mulf %g5, %a4 : tensor<32x32xf32>
  %g3 = arith.mulf %g4, %a3 : tensor<32x32xf32>
  %g2 = arith.mulf %g3, %a2 : tensor<32x32xf32>
  %g1 = arith.mulf %g2, %a1 : tensor<32x32xf32>
  return %loss, %g1 : tensor<f32>, tensor<32x32xf32>
}
