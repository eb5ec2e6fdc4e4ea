//===- Pipelines.h - remat's end-to-end lowering pipelines ------*- C++ -*-===//
//
// The registered pipelines --remat-pipeline-cpu and --remat-pipeline-nvvm: plan
// (when a budget is given), bufferize so that the program follows the memory
// model, then lower to LLVM (CPU) or to NVVM kernels and host code (GPU). See
// docs/lowering.md.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PIPELINES_PIPELINES_H
#define REMAT_PIPELINES_PIPELINES_H

#include "remat/Transforms/OptionChecks.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace remat {

/// The planning options both pipelines share (remat-checkpoint's).
template <typename Derived>
struct PlanningOptions : public mlir::PassPipelineOptions<Derived> {
  template <typename T>
  using Option = mlir::detail::PassOptions::Option<T>;

  Option<std::string> budget{
      *this, "budget",
      llvm::cl::desc("Memory budget for remat-checkpoint (bytes with a unit "
                     "or a fraction of the unplanned peak); absent: no "
                     "planning, the unplanned baseline")};
  Option<planner::SolverKind> solver{
      *this, "solver", llvm::cl::desc("remat-checkpoint's solver"),
      llvm::cl::init(planner::SolverKind::Fast), SolverOptionValues()};
  Option<double> timeLimit{
      *this, "time-limit",
      llvm::cl::desc("Time limit of the exact solver, in seconds"),
      llvm::cl::init(60.0)};
  Option<planner::MipSolver> mipSolver{
      *this, "mip-solver", llvm::cl::desc("The exact solver's MILP solver"),
      llvm::cl::init(planner::MipSolver::Highs), MipSolverOptionValues()};
};

/// How the CPU pipeline lowers linalg.matmul / batch_matmul: calls to the
/// runtime's OpenBLAS gemm (remat-blas-contractions; what it cannot take
/// falls to the vector tiles) or register-tiled vector code only
/// (remat-vectorize-contractions).
enum class ContractionLowering { Blas, Vector };

/// `blas` where remat was built with OpenBLAS, else `vector`.
ContractionLowering defaultContractionLowering();

struct CpuPipelineOptions : public PlanningOptions<CpuPipelineOptions> {
  Option<ContractionLowering> contractions{
      *this, "contractions",
      llvm::cl::desc("Lowering of matmuls and batch matmuls (default: blas "
                     "where remat was built with OpenBLAS)"),
      llvm::cl::init(defaultContractionLowering()),
      llvm::cl::values(
          clEnumValN(ContractionLowering::Blas, "blas",
                     "calls to the runtime's OpenBLAS gemm (multi-threaded)"),
          clEnumValN(ContractionLowering::Vector, "vector",
                     "register-tiled vector.contract code"))};
};

struct NvvmPipelineOptions : public PlanningOptions<NvvmPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("CUDA architecture of the cubin"),
                           llvm::cl::init("sm_90")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (CUDA 13's ptxas needs +ptx80 or newer)"),
      llvm::cl::init("+ptx80")};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit root for ptxas and libdevice (default: the "
                     "toolkit remat was built with)")};
  Option<std::string> format{
      *this, "format", llvm::cl::desc("gpu-module-to-binary format"),
      llvm::cl::init("fatbin")};
  Option<int64_t> blockThreads{
      *this, "block-threads",
      llvm::cl::desc("Threads per block of the loop kernels (a power of two "
                     "from 32 to 1024), innermost dimension along x"),
      llvm::cl::init(256)};
  Option<bool> cublas{
      *this, "cublas",
      llvm::cl::desc("Run matmuls as cuBLAS GEMMs through the CUDA runtime "
                     "(false: GPU loops like every other op)"),
      llvm::cl::init(true)};
};

/// Empty when `options` are valid, else the first reason: the planning
/// options as remat-checkpoint checks them; for NVVM also a `chip` such as
/// sm_90 or sm_90a, a gpu-module-to-binary `format`, `features` as +name or
/// -name entries, and `block-threads` a power of two from 32 to 1024. The
/// registered pipelines check them before building anything.
std::string checkPipelineOptions(const CpuPipelineOptions &options);
std::string checkPipelineOptions(const NvvmPipelineOptions &options);

/// The fragment a user's pipeline inserts in place of its bufferization to
/// keep remat's plan (registered as --remat-bufferize): dissolve the
/// recompute regions, give each writer a fresh destination of its own,
/// leave arguments unwritten, one-shot-bufferize (function boundaries,
/// identity layouts, no alignment padding), deallocate with the ownership
/// pipeline, free after the last use (optimize-allocation-liveness; the
/// buffers of one multi-result op together, remat-free-together) and
/// allocate right before the first writer (remat-sink-allocations). What
/// comes out allocates and frees exactly as docs/memory-model.md counts.
void buildBufferizePipeline(mlir::OpPassManager &pm);

void buildCpuPipeline(mlir::OpPassManager &pm, const CpuPipelineOptions &options);
void buildNvvmPipeline(mlir::OpPassManager &pm,
                       const NvvmPipelineOptions &options);

/// Registers remat's passes of lib/Pipelines and the named pipelines. The
/// translations to LLVM IR that gpu-module-to-binary needs to serialize the
/// kernels come with registerRematDialect (remat/InitRemat.h).
void registerRematPipelines();

} // namespace remat

#endif // REMAT_PIPELINES_PIPELINES_H
