// The pipelines check their options before building anything: an empty chip
// crashed the NVVM target verifier (SIGSEGV), a zero block size the tiling.
// RUN: not remat-opt %s '--remat-pipeline-nvvm=chip=' 2>&1 | FileCheck %s --check-prefix=CHIP --implicit-check-not="Stack dump"
// RUN: not remat-opt %s '--remat-pipeline-nvvm=chip=foo' 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not remat-opt %s '--remat-pipeline-nvvm=chip=sm_' 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not remat-opt %s '--pass-pipeline=builtin.module(remat-pipeline-nvvm{chip=})' 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: error: remat-pipeline-nvvm: chip must be a CUDA architecture such as sm_90 or sm_90a (at least sm_20), got '{{.*}}'

// RUN: not remat-opt %s '--remat-pipeline-nvvm=block-threads=16' 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not remat-opt %s '--remat-pipeline-nvvm=block-threads=48' 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: remat-pipeline-nvvm: block-threads must be a power of two from 32 to 1024, got {{16|48}}

// RUN: not remat-opt %s '--remat-pipeline-nvvm=format=bogus' 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: error: remat-pipeline-nvvm: format must be offloading, assembly (isa), binary (bin) or fatbinary (fatbin), got 'bogus'
// RUN: not remat-opt %s '--remat-pipeline-nvvm=features=ptx80' 2>&1 | FileCheck %s --check-prefix=FEATURES
// FEATURES: error: remat-pipeline-nvvm: features must be a comma-separated list of +name or -name, got 'ptx80'

// The planning options, as remat-checkpoint checks them, in both pipelines.
// RUN: not remat-opt %s '--remat-pipeline-cpu=budget=0.9 solver=bogus' 2>&1 | FileCheck %s --check-prefix=SOLVER
// SOLVER: for the --solver option: unknown solver 'bogus'; expected fast, exact, keep-all, recompute-all, sqrtn, knapsack or manual
// RUN: not remat-opt %s '--remat-pipeline-cpu=budget=0.9 mip-solver=glpk' 2>&1 | FileCheck %s --check-prefix=MIP
// RUN: not remat-opt %s '--remat-checkpoint=budget=0.9 solver=exact mip-solver=glpk' 2>&1 | FileCheck %s --check-prefix=MIP
// MIP: for the --mip-solver option: unknown MILP solver 'glpk'; expected highs or cbc
// RUN: not remat-opt %s '--remat-pipeline-nvvm=budget=0.9 time-limit=nan' 2>&1 | FileCheck %s --check-prefix=LIMIT
// LIMIT: error: remat-pipeline-nvvm: the time limit must be a number of seconds in (0, 604800], got nan
// RUN: not remat-opt %s '--remat-pipeline-cpu=budget=lots' 2>&1 | FileCheck %s --check-prefix=BUDGET
// BUDGET: error: remat-pipeline-cpu: invalid budget 'lots': no number

func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = math.exp %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
