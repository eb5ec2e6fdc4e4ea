// The cost options of the planning passes (docs/cost-model.md). Bad options
// are errors before the pass touches the IR; a calibration file that cannot
// be used is an error at the module, before any function is planned.
// RUN: split-file %s %t
// RUN: not remat-opt %t/missing.mlir '--remat-checkpoint=budget=0.5 cost=time' 2>&1 | FileCheck %s --check-prefix=KIND
// KIND: for the --cost option: unknown cost model 'time'; expected flops, roofline or measured
// RUN: not remat-opt %t/missing.mlir '--remat-report=cost=roofline target=tpu' 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: for the --target option: unknown target 'tpu'; expected cpu or gpu
// RUN: not remat-opt %t/missing.mlir '--remat-checkpoint=budget=0.5 cost=measured' 2>&1 | FileCheck %s --check-prefix=NO-FILE --implicit-check-not="see current operation"
// NO-FILE: error: remat-checkpoint: cost=measured needs calibration=FILE, the per-op times `remat-calibrate -o FILE STEP.mlir` measures
// RUN: not remat-opt %t/missing.mlir '--remat-frontier=calibration=times.json' 2>&1 | FileCheck %s --check-prefix=NOT-MEASURED
// NOT-MEASURED: error: remat-frontier: calibration= is read with cost=measured only, got cost=flops
// RUN: not remat-opt %t/missing.mlir '--remat-report=cost=roofline peak-gflops=-1' 2>&1 | FileCheck %s --check-prefix=PEAK
// PEAK: error: remat-report: peak-gflops must be a finite number of at least 0 (0: the target's), got -1
// RUN: not remat-opt %t/missing.mlir '--remat-checkpoint=budget=0.5 cost=roofline bandwidth-gbps=nan' 2>&1 | FileCheck %s --check-prefix=BANDWIDTH
// BANDWIDTH: error: remat-checkpoint: bandwidth-gbps must be a finite number

// RUN: remat-opt %t/missing.mlir --verify-diagnostics '--remat-checkpoint=budget=0.5 cost=measured calibration=%t/none.json'
// RUN: remat-opt %t/not-json.mlir --verify-diagnostics '--remat-checkpoint=budget=0.5 cost=measured calibration=%t/not-json.json'
// RUN: remat-opt %t/not-calibration.mlir --verify-diagnostics '--remat-frontier=cost=measured calibration=%t/not-calibration.json'
// RUN: remat-opt %t/bad-target.mlir --verify-diagnostics '--remat-report=cost=measured calibration=%t/bad-target.json'
// RUN: remat-opt %t/bad-kernel.mlir --verify-diagnostics '--remat-checkpoint=budget=0.5 cost=measured calibration=%t/bad-kernel.json'
// RUN: remat-opt %t/other-target.mlir --verify-diagnostics '--remat-checkpoint=budget=0.5 cost=measured calibration=%t/other-target.json'
// RUN: remat-opt %t/bad-recompute.mlir --verify-diagnostics '--remat-checkpoint=budget=0.5 cost=measured calibration=%t/bad-recompute.json'

//--- missing.mlir
// expected-error @below {{none.json': cannot read it: }}
module {
}

//--- not-json.json
{"format": "remat-calibration", "target": "cpu", "kernels": [
//--- not-json.mlir
// expected-error @below {{not-json.json': not JSON: }}
module {
}

//--- not-calibration.json
{"kernels": []}
//--- not-calibration.mlir
// expected-error @below {{not-calibration.json': not a calibration: expected an object with "format": "remat-calibration"}}
module {
}

//--- bad-target.json
{"format": "remat-calibration", "target": "tpu", "kernels": []}
//--- bad-target.mlir
// expected-error @below {{bad-target.json': "target" must be "cpu" or "gpu"}}
module {
}

//--- bad-kernel.json
{"format": "remat-calibration", "target": "cpu", "kernels": [
  {"key": "0123456789abcdef", "op": "math.exp", "seconds": 1e-6},
  {"key": "fedcba9876543210", "op": "math.exp", "seconds": -1}]}
//--- bad-kernel.mlir
// expected-error @below {{bad-kernel.json': kernel 1 needs a "key" string and "seconds", a finite number of at least 0}}
module {
}

//--- other-target.json
{"format": "remat-calibration", "target": "gpu", "kernels": []}
//--- other-target.mlir
// expected-error @below {{other-target.json' was measured for target=gpu, not target=cpu; pass target=gpu or calibrate for cpu}}
module {
}

//--- bad-recompute.json
{"format": "remat-calibration", "target": "cpu", "kernels": [
  {"key": "0123456789abcdef", "op": "math.exp", "seconds": 1e-6, "recompute_seconds": 0},
  {"key": "fedcba9876543210", "op": "math.exp", "seconds": 1e-6, "recompute_seconds": "fast"}]}
//--- bad-recompute.mlir
// expected-error @below {{bad-recompute.json': kernel 1: "recompute_seconds" must be a finite number of at least 0}}
module {
}
