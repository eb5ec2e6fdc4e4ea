//===- TimeModelTest.cpp - Roofline and calibration costs -----------------===//
//
// A FLOP count ranks a memory-bound elementwise op far below a matmul; the
// roofline must rank it by the bytes it moves, and weigh transcendentals.
//
//===----------------------------------------------------------------------===//

#include "remat/Analysis/TimeModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "TestContext.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

// A 64x64x64 matmul (524288 FLOPs, 64 KiB read and written) and two
// elementwise ops on 512x64 (32768 FLOPs each, 384 KiB and 256 KiB).
constexpr const char *kOps = R"mlir(
func.func @ops(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>,
               %x: tensor<512x64xf32>, %y: tensor<512x64xf32>)
    -> (tensor<64x64xf32>, tensor<512x64xf32>, tensor<512x64xf32>,
        tensor<512x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %mm = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>)
                      outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %add = arith.addf %x, %y : tensor<512x64xf32>
  %exp = math.exp %x : tensor<512x64xf32>
  %add2 = arith.addf %y, %x : tensor<512x64xf32>
  return %mm, %add, %exp, %add2 : tensor<64x64xf32>, tensor<512x64xf32>,
      tensor<512x64xf32>, tensor<512x64xf32>
}
)mlir";

class TimeModelTest : public ::testing::Test {
protected:
  TimeModelTest() {
    remat::test::loadTrainingDialects(context);
    module = parseSourceString<ModuleOp>(kOps, &context);
    fn = *module->getOps<func::FuncOp>().begin();
    costs.emplace(fn);
    for (Operation &op : fn.getBody().front())
      ops[op.getName().getStringRef()].push_back(&op);
  }

  Operation *op(llvm::StringRef name, unsigned index = 0) {
    return ops[name][index];
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  func::FuncOp fn;
  std::optional<remat::CostModel> costs;
  llvm::StringMap<SmallVector<Operation *>> ops;
};

TEST_F(TimeModelTest, RooflineRanksMemoryBoundOpAboveItsFlops) {
  Operation *matmul = op("linalg.matmul"), *add = op("arith.addf");
  ASSERT_LT(costs->getFlops(add), costs->getFlops(matmul));
  for (remat::CostTarget target :
       {remat::CostTarget::Cpu, remat::CostTarget::Gpu}) {
    remat::RooflineTarget roofline = remat::RooflineTarget::get(target);
    double addSeconds = remat::getRooflineSeconds(add, *costs, roofline);
    double matmulSeconds = remat::getRooflineSeconds(matmul, *costs, roofline);
    // The add is 1/16 of the matmul's FLOPs but moves 6x its bytes.
    EXPECT_GT(addSeconds / matmulSeconds,
              double(costs->getFlops(add)) / costs->getFlops(matmul))
        << remat::costTargetName(target).str();
    EXPECT_GT(addSeconds, matmulSeconds) << remat::costTargetName(target).str();
    // Memory-bound: its time is its bytes over the bandwidth.
    EXPECT_DOUBLE_EQ(addSeconds, 3 * 512 * 64 * 4 / roofline.bytesPerSecond);
  }
}

TEST_F(TimeModelTest, BytesAccessedSkipUnreadInits) {
  // The matmul accumulates into its init: it reads it.
  EXPECT_EQ(remat::getBytesAccessed(op("linalg.matmul")), 4 * 64 * 64 * 4);
  // A fill writes its result only.
  EXPECT_EQ(remat::getBytesAccessed(op("linalg.fill")), 64 * 64 * 4);
  EXPECT_EQ(remat::getBytesAccessed(op("tensor.empty")), 0);
}

TEST_F(TimeModelTest, TranscendentalsAreWeighted) {
  remat::RooflineTarget cpu = remat::RooflineTarget::get(remat::CostTarget::Cpu);
  Operation *exp = op("math.exp"), *add = op("arith.addf");
  EXPECT_EQ(costs->getFlops(exp), costs->getFlops(add));
  EXPECT_DOUBLE_EQ(remat::getWeightedFlops(exp, *costs, cpu),
                   cpu.transcendentalFlops * costs->getFlops(exp));
  // Compute-bound at a low FLOP rate, where the add is not.
  remat::RooflineTarget slow =
      remat::RooflineTarget::get(remat::CostTarget::Cpu, /*peakGflops=*/1);
  EXPECT_GT(remat::getRooflineSeconds(exp, *costs, slow),
            remat::getRooflineSeconds(add, *costs, slow));
}

TEST_F(TimeModelTest, KernelKeysNameWhatIsComputed) {
  std::optional<std::string> add = remat::getKernelKey(op("arith.addf", 0));
  std::optional<std::string> add2 = remat::getKernelKey(op("arith.addf", 1));
  std::optional<std::string> exp = remat::getKernelKey(op("math.exp"));
  ASSERT_TRUE(add && add2 && exp);
  // The same op on other values of the same types: one kernel.
  EXPECT_EQ(*add, *add2);
  EXPECT_NE(*add, *exp);
  // Views, constants and empty tensors are not kernels.
  EXPECT_FALSE(remat::getKernelKey(op("tensor.empty")));
  EXPECT_FALSE(remat::getKernelKey(op("arith.constant")));
}

TEST_F(TimeModelTest, MeasuredTimesReplaceTheRoofline) {
  std::string key = *remat::getKernelKey(op("math.exp"));
  llvm::Expected<remat::Calibration> calibration = remat::Calibration::parse(
      R"({"format": "remat-calibration", "target": "cpu", "kernels": [)"
      R"({"key": ")" + key + R"(", "op": "math.exp", "seconds": 0.25}]})",
      "test.json");
  ASSERT_TRUE(bool(calibration)) << llvm::toString(calibration.takeError());
  remat::CostOptions options;
  options.kind = remat::CostKind::Measured;
  options.calibration = &*calibration;
  remat::TimeModel times(fn, *costs, options);
  EXPECT_EQ(times.getSeconds(op("math.exp")), 0.25);
  // The others fall back to the roofline, and a warning says how many.
  EXPECT_DOUBLE_EQ(times.getSeconds(op("arith.addf")),
                   remat::getRooflineSeconds(
                       op("arith.addf"), *costs,
                       remat::RooflineTarget::get(remat::CostTarget::Cpu)));
  ASSERT_EQ(times.getFindings().size(), 1u);
  EXPECT_NE(times.getFindings()[0].message.find("4 op(s) of @ops have no "
                                                "measured time in 'test.json'"),
            std::string::npos)
      << times.getFindings()[0].message;
}

TEST(CalibrationTest, RejectsMalformedFiles) {
  auto error = [](const char *text) {
    llvm::Expected<remat::Calibration> read =
        remat::Calibration::parse(text, "c.json");
    return read ? std::string() : llvm::toString(read.takeError());
  };
  EXPECT_NE(error("[").find("not JSON"), std::string::npos);
  EXPECT_NE(error("{}").find("not a calibration"), std::string::npos);
  EXPECT_NE(error(R"({"format": "remat-calibration", "target": "tpu"})")
                .find("\"target\" must be"),
            std::string::npos);
  EXPECT_NE(error(R"({"format": "remat-calibration", "target": "cpu",
                      "kernels": [{"key": "a", "seconds": -1}]})")
                .find("kernel 0 needs"),
            std::string::npos);
  EXPECT_EQ(error(R"({"format": "remat-calibration", "target": "gpu",
                      "kernels": []})"),
            "");
}

} // namespace
