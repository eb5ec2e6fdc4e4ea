//===- Pipelines.cpp - remat's end-to-end lowering pipelines --------------===//
//
// Both pipelines share the front half (plan, bufferize, free after last use)
// so that the CPU and the GPU programs hold the same buffers at the same
// points: the ones the MemorySimulator predicts. See docs/lowering.md.
//
//===----------------------------------------------------------------------===//

#include "remat/Pipelines/Pipelines.h"

#include "remat/Pipelines/Passes.h"
#include "remat/Transforms/OptionChecks.h"
#include "remat/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Regex.h"

using namespace mlir;

namespace remat {

void buildBufferizePipeline(OpPassManager &pm) {
  pm.addPass(createRematInlineRecompute());
  pm.addPass(createRematLocalizeInits());
  pm.addNestedPass<func::FuncOp>(createRematReadonlyArguments());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // No alignment padding: the runtime then measures exactly the bytes the
  // model counts (element count x element size).
  bufferize.bufferAlignment = 0;
  // A loop may carry a value it computes afresh each iteration (an
  // activation): its buffer is yielded, the previous one freed by the
  // deallocation pipeline (docs/memory-model.md, loops).
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));

  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addNestedPass<func::FuncOp>(
      bufferization::createOptimizeAllocationLivenessPass());
  pm.addNestedPass<func::FuncOp>(createRematFreeTogether());
  pm.addNestedPass<func::FuncOp>(createRematSinkAllocations());
  // The deallocation pipeline clones a buffer the step returns but does not
  // own (an argument returned as it is): an allocation and a copy, which
  // the memory model counts (MemorySimulator::getReturnClones).
  pm.addPass(createConvertBufferizationToMemRefPass());
}

/// Lowers TOSA, plans (only when a budget is given, or solver=manual: the
/// step's policies), then bufferizes after the memory model
/// (buildBufferizePipeline).
template <typename Derived>
static void buildPlanAndBufferize(OpPassManager &pm,
                                  const PlanningOptions<Derived> &options) {
  pm.addNestedPass<func::FuncOp>(createRematLowerTosa());
  if (!options.budget.empty() ||
      options.solver == planner::SolverKind::Manual) {
    RematCheckpointOptions checkpoint;
    checkpoint.budget = options.budget;
    checkpoint.solver = options.solver;
    checkpoint.timeLimit = options.timeLimit;
    checkpoint.mipSolver = options.mipSolver;
    pm.addPass(createRematCheckpoint(checkpoint));
  }
  buildBufferizePipeline(pm);
}

/// Host-side lowering of what is left after the loops: the step becomes an
/// LLVM function with a C interface (`_mlir_ciface_<name>`) for remat-run.
static void buildHostToLLVM(OpPassManager &pm) {
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  // What LLVM has no intrinsic for (math.erf from an exact GELU, erfc, atan2,
  // cbrt, ...) becomes a call to libm, which remat-run links; on a vector,
  // one call per element (vector.extract / insert, hence before the vector
  // lowering).
  pm.addPass(createConvertMathToLibmPass());
  ConvertVectorToLLVMPassOptions vector;
  vector.vectorContractLowering = vector::VectorContractLowering::OuterProduct;
  pm.addPass(createConvertVectorToLLVMPass(vector));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // Every allocation goes through the runtime's tracked allocator.
  FinalizeMemRefToLLVMConversionPassOptions memref;
  memref.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memref));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  // Vectorization leaves ub.poison as the padding of its transfers.
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

ContractionLowering defaultContractionLowering() {
#ifdef REMAT_HAVE_BLAS
  return ContractionLowering::Blas;
#else
  return ContractionLowering::Vector;
#endif
}

void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  buildPlanAndBufferize(pm, options);
  if (options.contractions == ContractionLowering::Blas)
    pm.addPass(createRematBlasContractions());
  pm.addNestedPass<func::FuncOp>(createRematVectorizeContractions());
  pm.addNestedPass<func::FuncOp>(createRematVectorizeElementwise());
  pm.addNestedPass<func::FuncOp>(createRematInterchangeReductions());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createRematApproximateMath());
  VectorTransferToSCFOptions transfers;
  transfers.enableFullUnroll();
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(transfers));
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  buildHostToLLVM(pm);
}

/// Points gpu-module-to-binary at the CUDA toolkit: without it, libdevice
/// (__nv_tanhf and the other math functions) is found only through CUDA_HOME
/// and friends in the environment, which test runners drop. The upstream
/// NVVM pipeline has no option for it, so set it on the pass it built.
static void setCudaToolkit(OpPassManager &pm, StringRef path) {
  if (path.empty())
    return;
  for (Pass &pass : pm.getPasses())
    if (pass.getArgument() == "gpu-module-to-binary")
      (void)pass.initializeOptions(("toolkit=" + path).str(),
                                   [](const Twine &) { return failure(); });
}

void buildNvvmPipeline(OpPassManager &pm, const NvvmPipelineOptions &options) {
  buildPlanAndBufferize(pm, options);
  pm.addNestedPass<func::FuncOp>(createRematDeviceBuffers());
  if (options.cublas)
    pm.addPass(createRematContractionsToCublas());
  pm.addNestedPass<func::FuncOp>(createRematWrapSerialOps());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  // Each loop nest becomes a grid of blocks, its innermost dimension along
  // threadIdx.x (coalesced accesses).
  RematMapParallelLoopsOptions blocks;
  blocks.blockThreads = options.blockThreads;
  pm.addNestedPass<func::FuncOp>(createRematMapParallelLoops(blocks));
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());

  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = options.features;
  nvvm.cubinFormat = options.format;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
  setCudaToolkit(pm, options.cudaPath.empty() ? REMAT_CUDA_TOOLKIT_PATH
                                              : options.cudaPath.getValue());
}

std::string checkPipelineOptions(const CpuPipelineOptions &options) {
  if (options.contractions == ContractionLowering::Blas &&
      defaultContractionLowering() != ContractionLowering::Blas)
    return "contractions=blas needs remat built with OpenBLAS "
           "(libopenblas-dev, scripts/setup); use contractions=vector";
  return checkPlanningOptions(options.budget, options.timeLimit);
}

std::string checkPipelineOptions(const NvvmPipelineOptions &options) {
  if (std::string invalid =
          checkPlanningOptions(options.budget, options.timeLimit);
      !invalid.empty())
    return invalid;
  // The NVVM target verifier dereferences the chip's digits: an empty or
  // malformed chip crashed it.
  llvm::SmallVector<StringRef> digits;
  if (!llvm::Regex("^sm_([0-9]+)[a-z]?$").match(options.chip, &digits) ||
      digits[1].size() > 4 || std::stoi(digits[1].str()) < 20)
    return "chip must be a CUDA architecture such as sm_90 or sm_90a (at "
           "least sm_20), got '" +
           options.chip + "'";
  bool knownFormat = llvm::StringSwitch<bool>(options.format)
                         .Cases({"offloading", "llvm", "assembly", "isa",
                                 "binary", "bin", "fatbinary", "fatbin"},
                                true)
                         .Default(false);
  if (!knownFormat)
    return "format must be offloading, assembly (isa), binary (bin) or "
           "fatbinary (fatbin), got '" +
           options.format + "'";
  llvm::SmallVector<StringRef> features;
  StringRef(options.features).split(features, ',', -1, /*KeepEmpty=*/false);
  for (StringRef feature : features)
    if (feature.size() < 2 || (feature[0] != '+' && feature[0] != '-'))
      return "features must be a comma-separated list of +name or -name, "
             "got '" +
             options.features + "'";
  if (options.blockThreads < 32 || options.blockThreads > 1024 ||
      !llvm::isPowerOf2_64(options.blockThreads))
    return "block-threads must be a power of two from 32 to 1024, got " +
           std::to_string(options.blockThreads);
  return "";
}

/// Registers `build` under `arg`, checking its options (checkPipelineOptions)
/// before anything is built.
template <typename Options>
static void registerCheckedPipeline(StringRef arg, StringRef description,
                                    void (*build)(OpPassManager &,
                                                  const Options &)) {
  registerPassPipeline(
      arg, description,
      [arg, build](OpPassManager &pm, StringRef text,
                   function_ref<LogicalResult(const Twine &)> errorHandler) {
        Options options;
        if (failed(options.parseFromString(text)))
          return failure();
        if (std::string invalid = checkPipelineOptions(options);
            !invalid.empty())
          return errorHandler(arg + ": " + invalid);
        build(pm, options);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> handler) {
        handler(Options());
      });
}

void registerRematPipelines() {
  registerRematPipelinesPasses();
  PassPipelineRegistration<>(
      "remat-bufferize",
      "Dissolve remat.recompute regions and bufferize so that the program "
      "allocates and frees as remat's memory model counts (insert it in "
      "place of one-shot-bufferize in any pipeline)",
      buildBufferizePipeline);
  registerCheckedPipeline<CpuPipelineOptions>(
      "remat-pipeline-cpu",
      "Plan (with budget=), bufferize after the memory model, tile and "
      "vectorize matmuls, lower to LLVM with tracked allocations",
      buildCpuPipeline);
  registerCheckedPipeline<NvvmPipelineOptions>(
      "remat-pipeline-nvvm",
      "Plan (with budget=), bufferize after the memory model into device "
      "buffers, map parallel loops to GPU blocks and threads, lower to NVVM "
      "and a cubin/fatbin, host code to LLVM",
      buildNvvmPipeline);
}

} // namespace remat
