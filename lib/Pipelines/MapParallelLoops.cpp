//===- MapParallelLoops.cpp - coalesced GPU blocks for parallel loops -----===//
//
// Upstream's gpu-map-parallel-loops maps a loop's first dimension to x; for
// row-major buffers the last dimension is the contiguous one, so neighbouring
// threads then read addresses a row apart. Here the innermost dimension of
// each parallel loop nest becomes threadIdx.x (a warp reads consecutive
// elements), the next ones y and z, and a block holds `block-threads`
// threads where the extents allow.
//
//===----------------------------------------------------------------------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATMAPPARALLELLOOPS
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// The GPU has three hardware dimensions; largest grid along y and z, and
/// largest block along z.
constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxBlockZ = 64;

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Trip count of each dimension of `loop` (nullopt where not static).
static SmallVector<std::optional<int64_t>> tripCounts(scf::ParallelOp loop) {
  SmallVector<std::optional<int64_t>> counts;
  for (unsigned dim = 0; dim < loop.getNumLoops(); ++dim) {
    std::optional<int64_t> lower =
        getConstantIntValue(loop.getLowerBound()[dim]);
    std::optional<int64_t> upper =
        getConstantIntValue(loop.getUpperBound()[dim]);
    std::optional<int64_t> step = getConstantIntValue(loop.getStep()[dim]);
    if (!lower || !upper || !step || *step <= 0)
      counts.push_back(std::nullopt);
    else
      counts.push_back(ceilDiv(std::max<int64_t>(*upper - *lower, 0), *step));
  }
  return counts;
}

/// Dimensions before the last two fold into one, so the grid (three
/// dimensions) covers all of the iteration space; `counts` follow.
static scf::ParallelOp
collapseLeading(IRRewriter &rewriter, scf::ParallelOp loop,
                SmallVector<std::optional<int64_t>> &counts) {
  unsigned rank = loop.getNumLoops();
  if (rank <= 3)
    return loop;
  std::vector<unsigned> leading;
  std::optional<int64_t> leadingCount = 1;
  for (unsigned dim = 0; dim + 2 < rank; ++dim) {
    leading.push_back(dim);
    leadingCount = leadingCount && counts[dim]
                       ? std::optional<int64_t>(*leadingCount * *counts[dim])
                       : std::nullopt;
  }
  counts = {leadingCount, counts[rank - 2], counts[rank - 1]};
  // The collapsed loop takes the place of `loop`, right before `next`.
  Operation *next = loop->getNextNode();
  std::vector<std::vector<unsigned>> groups = {leading, {rank - 2}, {rank - 1}};
  collapseParallelLoops(rewriter, loop, groups);
  return cast<scf::ParallelOp>(next->getPrevNode());
}

/// Threads of a block along each dimension: the innermost dimension takes
/// as many as its extent uses (a power of two, up to `blockThreads`), the
/// next ones what is left. Unknown extents count as large.
static SmallVector<int64_t> blockShape(ArrayRef<std::optional<int64_t>> counts,
                                       int64_t blockThreads) {
  unsigned rank = counts.size();
  SmallVector<int64_t> threads(rank, 1);
  int64_t left = blockThreads;
  for (unsigned i = 0; i < std::min(rank, 3u); ++i) {
    unsigned dim = rank - 1 - i;
    int64_t extent = std::max<int64_t>(counts[dim].value_or(blockThreads), 1);
    int64_t size = std::min<int64_t>(
        left, static_cast<int64_t>(llvm::PowerOf2Ceil(extent)));
    if (i == 2)
      size = std::min(size, kMaxBlockZ);
    threads[dim] = size;
    left /= size;
  }
  return threads;
}

static gpu::ParallelLoopDimMappingAttr mapTo(MLIRContext *context,
                                             gpu::Processor processor) {
  Builder builder(context);
  return gpu::ParallelLoopDimMappingAttr::get(context, processor,
                                              builder.getDimIdentityMap(),
                                              builder.getDimIdentityMap());
}

/// Innermost dimension to x, then y, then z; for the grid, a dimension with
/// more blocks than y and z allow loops inside each block instead.
static void setMapping(scf::ParallelOp grid, scf::ParallelOp block,
                       ArrayRef<std::optional<int64_t>> counts,
                       ArrayRef<int64_t> threads) {
  MLIRContext *context = grid.getContext();
  unsigned rank = grid.getNumLoops();
  const gpu::Processor blockIds[] = {
      gpu::Processor::BlockX, gpu::Processor::BlockY, gpu::Processor::BlockZ};
  const gpu::Processor threadIds[] = {gpu::Processor::ThreadX,
                                      gpu::Processor::ThreadY,
                                      gpu::Processor::ThreadZ};
  SmallVector<gpu::ParallelLoopDimMappingAttr> gridMap, blockMap;
  for (unsigned dim = 0; dim < rank; ++dim) {
    unsigned fromInner = rank - 1 - dim;
    bool fitsGrid =
        fromInner == 0 ||
        (counts[dim] && ceilDiv(*counts[dim], threads[dim]) <= kMaxGridYZ);
    gridMap.push_back(mapTo(context, fitsGrid ? blockIds[fromInner]
                                              : gpu::Processor::Sequential));
    blockMap.push_back(mapTo(context, threadIds[fromInner]));
  }
  (void)gpu::setMappingAttr(grid, gridMap);
  (void)gpu::setMappingAttr(block, blockMap);
  // Parallel loops nested deeper run sequentially in each thread.
  block.getBody()->walk([&](scf::ParallelOp nested) {
    SmallVector<gpu::ParallelLoopDimMappingAttr> sequential(
        nested.getNumLoops(), mapTo(context, gpu::Processor::Sequential));
    (void)gpu::setMappingAttr(nested, sequential);
  });
}

struct MapParallelLoops
    : public impl::RematMapParallelLoopsBase<MapParallelLoops> {
  using Base::Base;

  void runOnOperation() override {
    if (blockThreads < 32 || blockThreads > 1024 ||
        !llvm::isPowerOf2_64(blockThreads)) {
      getOperation().emitError()
          << "remat-map-parallel-loops: block-threads must be a power of two "
             "from 32 to 1024, got "
          << static_cast<int64_t>(blockThreads);
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() &&
          !loop->hasAttr(gpu::getMappingAttrName()) &&
          loop.getNumReductions() == 0)
        outermost.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : outermost) {
      SmallVector<std::optional<int64_t>> counts = tripCounts(loop);
      loop = collapseLeading(rewriter, loop, counts);
      SmallVector<int64_t> threads = blockShape(counts, blockThreads);
      // Guards instead of min bounds keep the thread counts static.
      auto [grid, block] =
          scf::tileParallelLoop(loop, threads, /*noMinMaxBounds=*/true);
      setMapping(grid, block, counts, threads);
    }
  }
};
} // namespace

} // namespace remat
