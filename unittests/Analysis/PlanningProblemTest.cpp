//===- PlanningProblemTest.cpp - The planner's view matches the IR's ------===//
//
// The planner plans on a Problem extracted from the IR; the rewrite applies
// its plan to the IR. Both sides must agree on memory: the Problem's unplanned
// peak is the simulator's, and the rewritten IR peaks where the plan said.
//
//===----------------------------------------------------------------------===//

#include "remat/Analysis/PlanningProblem.h"
#include "remat/Dialect/Remat/RematDialect.h"
#include "remat/Planner/Solvers.h"
#include "remat/Transforms/ApplyPlan.h"
#include "remat/Transforms/LocalizeInits.h"
#include "remat/Transforms/Report.h"

#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "TestContext.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class PlanningProblemTest : public ::testing::TestWithParam<const char *> {
protected:
  PlanningProblemTest() {
    remat::test::loadTrainingDialects(context);
  }

  /// Parses the bundled step `name` (examples/NAME, bench/graphs/NAME when
  /// it starts with "graphs/", test/NAME when with "test/") and returns its
  /// function.
  func::FuncOp load(const char *name) {
    llvm::StringRef file(name);
    const char *folder = file.consume_front("graphs/") ? "/bench/graphs/"
                         : file.consume_front("test/") ? "/test/"
                                                       : "/examples/";
    std::string path = std::string(REMAT_SOURCE_DIR) + folder + file.str();
    module = parseSourceFile<ModuleOp>(path, &context);
    EXPECT_TRUE(module) << "cannot parse " << path;
    return *module->getOps<func::FuncOp>().begin();
  }

  /// The planning problem of the example `name`, whose function `fn` gets.
  remat::PlanningProblem extract(const char *name, func::FuncOp &fn) {
    fn = load(name);
    remat::localizeInits(fn.getBody().front());
    remat::TrainingGraph graph(fn);
    remat::CostModel costs(fn);
    remat::MemorySimulator sim(fn);
    unplannedPeak = sim.getPeakBytes();
    return remat::extractPlanningProblem(graph, costs, sim);
  }

  // The Problem is a lossless projection of the simulator: between the last op
  // of one node and the last op of the next, the IR's largest live bytes are the
  // Problem's live bytes at the second node, for every node of the unplanned step.
  void checkProblemTimeline() {
    func::FuncOp fn = load(GetParam());
    // As remat-checkpoint plans it.
    remat::localizeInits(fn.getBody().front());
    remat::TrainingGraph graph(fn);
    remat::CostModel costs(fn);
    remat::MemorySimulator sim(fn);
    remat::PlanningProblem problem =
        remat::extractPlanningProblem(graph, costs, sim);
    ASSERT_TRUE(problem.error.empty()) << problem.error;
    remat::planner::Simulation planned = remat::planner::simulate(
        problem.problem, remat::planner::keepAllPlan(problem.problem));
    DenseMap<Operation *, unsigned> stepOf;
    for (auto [step, op] : llvm::enumerate(sim.getSteps()))
      stepOf[op] = step;
    ArrayRef<int64_t> timeline = sim.getTimeline();
    unsigned from = 0;
    int mismatches = 0;
    for (auto [node, members] : llvm::enumerate(problem.members)) {
      unsigned to = stepOf.lookup(members.back());
      int64_t irMax = 0;
      for (unsigned step = from; step <= to; ++step)
        irMax = std::max(irMax, timeline[step]);
      if (irMax != planned.timeline[node] && ++mismatches <= 5)
        ADD_FAILURE() << "node " << node << " ("
                      << problem.problem.nodes[node].name << ", IR steps "
                      << from << ".." << to << "): IR " << irMax
                      << " bytes, Problem " << planned.timeline[node];
      from = to + 1;
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(planned.peakBytes, sim.getPeakBytes());
  }

  // Plans the step with each solver of `kinds` at each fraction of the
  // unplanned peak (0: the smallest feasible budget), rewrites it and checks
  // that the rewritten IR verifies and peaks exactly at the planned peak.
  void checkRewrites(ArrayRef<remat::planner::SolverKind> kinds,
                     ArrayRef<double> fractions) {
    using namespace remat::planner;
    for (SolverKind kind : kinds) {
      int checked = 0;
      for (double fraction : fractions) {
        func::FuncOp fn;
        remat::PlanningProblem problem = extract(GetParam(), fn);
        int64_t smallest = smallestFeasibleBudget(problem.problem);
        SolveOptions options;
        options.budgetBytes = std::max<int64_t>(
            smallest, int64_t(fraction * unplannedPeak));
        SolveResult solved = solve(problem.problem, kind, options);
        if (!solved.feasible)
          continue;
        remat::applyPlan(problem, solved.plan);
        ASSERT_TRUE(succeeded(verify(fn)))
            << solverKindName(kind) << " at " << options.budgetBytes;
        EXPECT_EQ(remat::MemorySimulator(fn).getPeakBytes(),
                  solved.sim.peakBytes)
            << solverKindName(kind) << " at " << options.budgetBytes;
        EXPECT_LE(solved.sim.peakBytes, options.budgetBytes);
        ++checked;
      }
      // Every solver fits at least the unplanned peak.
      EXPECT_GT(checked, 0) << solverKindName(kind);
    }
  }

  // The model's in-place decisions are One-Shot Analysis's, run as the
  // lowering runs it (function boundaries, arguments not writable): a
  // destination-style op writes into its destination's buffer exactly when
  // One-Shot Analysis bufferizes that operand in place.
  void checkInPlaceIsOneShots() {
    func::FuncOp fn = load(GetParam());
    remat::localizeInits(fn.getBody().front());
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      fn.setArgAttr(i, "bufferization.writable", BoolAttr::get(&context, false));
    remat::MemorySimulator sim(fn);
    bufferization::OneShotBufferizationOptions options;
    options.bufferizeFunctionBoundaries = true;
    options.allowUnknownOps = true;
    bufferization::OneShotAnalysisState state(*module, options);
    ASSERT_TRUE(succeeded(bufferization::analyzeModuleOp(*module, state)));
    int checked = 0, mismatches = 0;
    fn.walk([&](DestinationStyleOpInterface op) {
      if (!op.hasPureTensorSemantics() || op->getParentOp() != fn)
        return;
      for (OpOperand &init : op.getDpsInitsMutable()) {
        const remat::Buffer *dest = sim.getBuffer(init.get());
        const remat::Buffer *result =
            sim.getBuffer(op.getTiedOpResult(&init));
        if (!dest || !result)
          continue;
        ++checked;
        bool model = dest == result;
        if (model != state.isInPlace(init) && ++mismatches <= 5)
          ADD_FAILURE() << op->getName().getStringRef().str() << " at "
                        << remat::formatLocation(op->getLoc()) << ": model: "
                        << (model ? "in place" : "a new buffer")
                        << ", One-Shot Analysis: "
                        << (model ? "out of place" : "in place");
      }
    });
    EXPECT_EQ(mismatches, 0) << "of " << checked << " destinations";
    EXPECT_GT(checked, 0);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  int64_t unplannedPeak = 0;
};

TEST_P(PlanningProblemTest, UnplannedPeakIsTheSimulators) {
  func::FuncOp fn;
  remat::PlanningProblem problem = extract(GetParam(), fn);
  ASSERT_TRUE(problem.error.empty()) << problem.error;
  remat::planner::Plan plan = remat::planner::keepAllPlan(problem.problem);
  EXPECT_EQ(remat::planner::simulate(problem.problem, plan).peakBytes,
            unplannedPeak);
}

// Every solver, at budgets from the unplanned peak down to the smallest
// feasible one: the rewritten IR verifies and its simulated peak is the
// planned peak.
TEST_P(PlanningProblemTest, RewrittenIRPeaksAsPlanned) {
  using remat::planner::SolverKind;
  checkRewrites({SolverKind::Fast, SolverKind::RecomputeAll, SolverKind::SqrtN,
                 SolverKind::Knapsack},
                {1.0, 0.9, 0.8, 0.7, 0.6, 0.0});
}

// A backward node X that runs after recomputing one of its forward inputs F,
// and is recomputed (with F) for a later consumer Y: the recomputation of X
// must read the F recomputed with it, not the F its own run read (the ResNet-18
// joint step of the torch.compile route at its smallest budget peaked 1.9 MB
// over its plan when it did). Every such triple of the step, up to 12: the
// rewritten IR verifies and peaks at the plan's simulated peak.
TEST_P(PlanningProblemTest, RecomputedBackwardNodeReadsItsOwnInputs) {
  using namespace remat::planner;
  func::FuncOp probe;
  remat::PlanningProblem first = extract(GetParam(), probe);
  ASSERT_TRUE(first.error.empty()) << first.error;
  const std::vector<Node> &nodes = first.problem.nodes;
  struct Triple {
    int f, x, y;
  };
  SmallVector<Triple> triples;
  for (int x = 0, e = nodes.size(); x < e && triples.size() < 12; ++x) {
    if (!nodes[x].backward || !mayRecompute(nodes[x]))
      continue;
    auto f = llvm::find_if(nodes[x].inputs, [&](int in) {
      return !nodes[in].backward && mayRecompute(nodes[in]) &&
             llvm::all_of(nodes[in].inputs, [&](int i) {
               return i != x; // inputs are earlier anyway
             });
    });
    if (f == nodes[x].inputs.end())
      continue;
    for (int y = x + 1; y < e; ++y)
      if (llvm::is_contained(nodes[y].inputs, x)) {
        triples.push_back({*f, x, y});
        break;
      }
  }
  for (const Triple &t : triples) {
    func::FuncOp fn;
    remat::PlanningProblem problem = extract(GetParam(), fn);
    Plan plan;
    for (int node = 0, e = nodes.size(); node < e; ++node) {
      if (node == t.x)
        plan.schedule.push_back({t.f, true});
      if (node == t.y) {
        plan.schedule.push_back({t.f, true});
        plan.schedule.push_back({t.x, true});
      }
      plan.schedule.push_back({node, false});
    }
    ASSERT_EQ(validate(problem.problem, plan), "");
    // X's operands that F produced (through views), by op and position.
    SmallVector<std::pair<Location, unsigned>> fromF;
    for (Operation *op : problem.members[t.x])
      for (OpOperand &operand : op->getOpOperands())
        if (problem.getProducerNode(operand.get()) == t.f)
          fromF.push_back({op->getLoc(), operand.getOperandNumber()});
    Simulation planned = simulate(problem.problem, plan);
    remat::applyPlan(problem, plan);
    std::string what = "F " + nodes[t.f].name + ", X " + nodes[t.x].name +
                       ", Y " + nodes[t.y].name;
    ASSERT_TRUE(succeeded(verify(fn))) << what;
    EXPECT_EQ(remat::MemorySimulator(fn).getPeakBytes(), planned.peakBytes)
        << what;
    // In X's recomputation those operands are F's recomputation, made in
    // the same region, not a version of F passed in.
    int checked = 0;
    fn.walk([&](remat::RecomputeOp recompute) {
      Region *region = &recompute->getRegion(0);
      for (Operation &op : region->front())
        for (auto [loc, index] : fromF) {
          if (op.getLoc() != loc || index >= op.getNumOperands())
            continue;
          Value read = op.getOperand(index);
          ++checked;
          EXPECT_FALSE(isa<BlockArgument>(read) ||
                       read.getDefiningOp()->getParentRegion() != region)
              << what << ": X's recomputation reads a version of F made "
                 "outside its region";
        }
    });
    EXPECT_GT(checked, 0) << what;
  }
  EXPECT_FALSE(triples.empty());
}

INSTANTIATE_TEST_SUITE_P(Examples, PlanningProblemTest,
                         ::testing::Values("tiny_chain.mlir", "mlp.mlir",
                                           "deep_mlp.mlir",
                                           "transformer_block.mlir",
                                           "loops/residual_mlp_unrolled.mlir"));

TEST_P(PlanningProblemTest, ProblemTimelineIsTheSimulators) {
  checkProblemTimeline();
}

TEST_P(PlanningProblemTest, InPlaceIsOneShotAnalysis) {
  checkInPlaceIsOneShots();
}

// PyTorch exports, the six full-size models and the small ones: the
// projection, and fast's plans at a few budgets.
class FixtureProblemTest : public PlanningProblemTest {};

TEST_P(FixtureProblemTest, ProblemTimelineIsTheSimulators) {
  checkProblemTimeline();
}

TEST_P(FixtureProblemTest, InPlaceIsOneShotAnalysis) {
  checkInPlaceIsOneShots();
}

TEST_P(FixtureProblemTest, RewrittenIRPeaksAsPlanned) {
  checkRewrites({remat::planner::SolverKind::Fast}, {0.9, 0.7, 0.5, 0.0});
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureProblemTest,
    ::testing::Values("graphs/tiny_mlp.mlir", "graphs/tiny_convnet.mlir",
                      "graphs/tiny_unet.mlir", "graphs/tiny_gpt_block.mlir",
                      "graphs/gpt2_mini.mlir", "graphs/gpt2_small.mlir",
                      "graphs/bert_base.mlir", "graphs/resnet50.mlir",
                      "graphs/vgg16.mlir", "graphs/mobilenet_v2.mlir",
                      "graphs/unet.mlir",
                      // A max writing its unused values into a split fill
                      // (cpu-budget-sweep-cumprod.test).
                      "test/Execution/Inputs/cumprod_step.mlir"));

} // namespace
