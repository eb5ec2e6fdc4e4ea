//===- MemorySimulatorTest.cpp - Peaks of hand-built programs -------------===//
//
// Each case is a small function whose peak follows from the memory model by
// hand; the comments derive it.
//
//===----------------------------------------------------------------------===//

#include "remat/Analysis/CostModel.h"
#include "remat/Analysis/MemorySimulator.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "TestContext.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class MemorySimulatorTest : public ::testing::Test {
protected:
  MemorySimulatorTest() {
    remat::test::loadTrainingDialects(context);
  }

  /// Parses `source` and simulates its first function.
  remat::MemorySimulator simulate(llvm::StringRef source) {
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "cannot parse the test input";
    auto fn = *module->getOps<func::FuncOp>().begin();
    return remat::MemorySimulator(fn);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

// Elementwise ops allocate a buffer per result. Argument %a: 4 KiB (1024 f32),
// live throughout. Step 0 (%b = exp %a): a, b live = 8 KiB. Step 1 (%c = exp
// %b): b's last use, so a, b, c = 12 KiB (the peak). Step 2 (%d = exp %c):
// b is freed: a, c, d = 12 KiB. Step 3 (return %d): a, d = 8 KiB.
TEST_F(MemorySimulatorTest, ChainFreesAfterLastUse) {
  auto sim = simulate(R"mlir(
    func.func @f(%a: tensor<1024xf32>) -> tensor<1024xf32> {
      %b = math.exp %a : tensor<1024xf32>
      %c = math.exp %b : tensor<1024xf32>
      %d = math.exp %c : tensor<1024xf32>
      return %d : tensor<1024xf32>
    })mlir");
  EXPECT_EQ(sim.getSteps().size(), 4u);
  EXPECT_EQ(sim.getArgumentBytes(), 4096);
  EXPECT_EQ(sim.getTimeline(), (llvm::ArrayRef<int64_t>{8192, 12288, 12288, 8192}));
  EXPECT_EQ(sim.getPeakBytes(), 12288);
  EXPECT_EQ(sim.getPeakStep(), 1u);
}

// tensor.empty allocates nothing; linalg.fill writes into it in place (its
// buffer starts at the fill), the matmul writes in place into the fill's
// buffer. Arguments: 16x32 and 32x8 f32 = 2048 + 1024 B. The result buffer
// 16x8 f32 = 512 B. Steps: empty (3072), fill (3584), matmul (3584),
// return (3584).
TEST_F(MemorySimulatorTest, DestinationStyleOpsWriteInPlace) {
  auto sim = simulate(R"mlir(
    func.func @f(%a: tensor<16x32xf32>, %b: tensor<32x8xf32>) -> tensor<16x8xf32> {
      %zero = arith.constant 0.0 : f32
      %e = tensor.empty() : tensor<16x8xf32>
      %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
      %m = linalg.matmul ins(%a, %b : tensor<16x32xf32>, tensor<32x8xf32>)
                         outs(%f : tensor<16x8xf32>) -> tensor<16x8xf32>
      return %m : tensor<16x8xf32>
    })mlir");
  EXPECT_EQ(sim.getTimeline(),
            (llvm::ArrayRef<int64_t>{3072, 3072, 3584, 3584, 3584}));
  EXPECT_EQ(sim.getPeakBytes(), 3584);
  // One allocation holds the empty, the fill and the matmul result.
  EXPECT_EQ(sim.getBuffer(module->lookupSymbol<func::FuncOp>("f")
                              .getBody().front().getTerminator()->getOperand(0))
                ->values.size(),
            3u);
}

// A destination that is read again later cannot be overwritten: the generic
// gets a buffer of its own (a copy). %x = exp %a (4 KiB) is the init of the
// generic and is used again by the return, so both stay: 4 (arg) + 4 (%x)
// + 4 (%g) = 12 KiB at the generic.
TEST_F(MemorySimulatorTest, LaterUseOfDestinationForcesCopy) {
  auto sim = simulate(R"mlir(
    #id = affine_map<(d0) -> (d0)>
    func.func @f(%a: tensor<1024xf32>) -> (tensor<1024xf32>, tensor<1024xf32>) {
      %x = math.exp %a : tensor<1024xf32>
      %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
          ins(%a : tensor<1024xf32>) outs(%x : tensor<1024xf32>) {
        ^bb0(%in: f32, %out: f32):
          %s = arith.addf %in, %out : f32
          linalg.yield %s : f32
      } -> tensor<1024xf32>
      return %x, %g : tensor<1024xf32>, tensor<1024xf32>
    })mlir");
  EXPECT_EQ(sim.getPeakBytes(), 12288);
  EXPECT_EQ(sim.getTimeline(), (llvm::ArrayRef<int64_t>{8192, 12288, 12288}));
}

// Views alias their source: the collapse_shape adds nothing, and keeps the
// source alive until the view's last use. %x (4 KiB) lives from step 0 to the
// exp of the view at step 2: 4 + 4 + 4 = 12 KiB there.
TEST_F(MemorySimulatorTest, ViewsAliasTheirSource) {
  auto sim = simulate(R"mlir(
    func.func @f(%a: tensor<32x32xf32>) -> tensor<1024xf32> {
      %x = math.exp %a : tensor<32x32xf32>
      %v = tensor.collapse_shape %x [[0, 1]] : tensor<32x32xf32> into tensor<1024xf32>
      %y = math.exp %v : tensor<1024xf32>
      return %y : tensor<1024xf32>
    })mlir");
  EXPECT_EQ(sim.getTimeline(),
            (llvm::ArrayRef<int64_t>{8192, 8192, 12288, 8192}));
}

// A remat.recompute region is simulated as if inlined: its body ops are steps,
// its block arguments are the kept values and its results the yielded ones.
// Steps: %b = exp %a (a, b: 8K), %c = exp %b (a, b, c: 12K; b's last use),
// region body %e = exp %x with %x = %a (a, c, e: 12K), %s = addf %r, %c where
// %r = %e (a, c, e, s: 16K), return %s (a, s: 8K).
TEST_F(MemorySimulatorTest, RecomputeRegionsAreInlined) {
  auto sim = simulate(R"mlir(
    func.func @f(%a: tensor<1024xf32>) -> tensor<1024xf32> {
      %b = math.exp %a : tensor<1024xf32>
      %c = math.exp %b : tensor<1024xf32>
      %r = remat.recompute (%x = %a) : (tensor<1024xf32>) -> tensor<1024xf32> {
        %e = math.exp %x : tensor<1024xf32>
        remat.yield %e : tensor<1024xf32>
      }
      %s = arith.addf %r, %c : tensor<1024xf32>
      return %s : tensor<1024xf32>
    })mlir");
  EXPECT_EQ(sim.getSteps().size(), 5u);
  EXPECT_EQ(sim.getTimeline(),
            (llvm::ArrayRef<int64_t>{8192, 12288, 12288, 16384, 8192}));
  EXPECT_EQ(sim.getPeakBytes(), 16384);
}

// Constants are static data; values without a static shape cannot be sized
// and are counted as 0 bytes (with a finding).
TEST_F(MemorySimulatorTest, ConstantsAndDynamicShapesAreNotAllocations) {
  auto sim = simulate(R"mlir(
    func.func @f(%a: tensor<?xf32>) -> (tensor<256xf32>, tensor<?xf32>) {
      %c = arith.constant dense<1.0> : tensor<256xf32>
      %d = math.exp %a : tensor<?xf32>
      %e = math.exp %c : tensor<256xf32>
      return %e, %d : tensor<256xf32>, tensor<?xf32>
    })mlir");
  EXPECT_EQ(sim.getArgumentBytes(), 0);
  EXPECT_EQ(sim.getPeakBytes(), 1024);
  EXPECT_EQ(sim.getFindings().size(), 2u);
}

// An op nothing reads and without side effects is deleted by the lowering's
// canonicalization: it holds no buffer and keeps none of its operands alive,
// and neither do the ops only it reads.
TEST_F(MemorySimulatorTest, DeadOpsAreNotSteps) {
  auto sim = simulate(R"mlir(
    func.func @f(%a: tensor<256xf32>) -> tensor<256xf32> {
      %b = math.exp %a : tensor<256xf32>
      %c = math.exp %b : tensor<256xf32>
      %d = math.tanh %c : tensor<256xf32>
      %e = math.exp %a : tensor<256xf32>
      return %e : tensor<256xf32>
    })mlir");
  EXPECT_EQ(sim.getSteps().size(), 2u);
  EXPECT_EQ(sim.getPeakBytes(), 2048);
}

} // namespace
