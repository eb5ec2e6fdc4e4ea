//===- RecurrentTest.cpp - Fast against a min-cut plan on LSTM-like steps -===//
//
// Training steps shaped like an exported nn.LSTM / nn.LSTMCell language
// model (bench/torch/models.py): per time step a hidden-state matmul, the
// gate pointwise ops, the cell and hidden state; a head over every step; a
// backward pass that walks the steps in reverse. PyTorch's min-cut
// partitioner saves the matmul outputs and the cell states and recomputes
// the pointwise ops; fast, planned at that plan's own peak, must recompute
// no more than it (issue 10: fast used to recompute 181-323% of the step
// there, against 0.02-9.4%). Properties only, no timings.
//
//===----------------------------------------------------------------------===//

#include "remat/Planner/Retention.h"
#include "remat/Planner/Solvers.h"

#include "MinCut.h"
#include "ProblemBuilder.h"

#include <gtest/gtest.h>

#include <cstdio>

using namespace remat::planner;

namespace {

/// `steps` time steps, batch x hidden floats per state. `inputProjection`:
/// nn.LSTM's one matmul for the whole sequence, read by every step (else
/// nn.LSTMCell's per-step projection).
Problem lstmStep(int steps, bool inputProjection) {
  const int64_t h = 16 * 512 * 4, g = 4 * h, vocabBytes = 16 * 1024 * 4;
  const double matmul = 2.0 * 16 * 512 * 2048, pointwise = h / 4.0;
  Problem p;
  p.alwaysLiveBytes = 8 << 20;
  auto forward = [&](int64_t bytes, double cost, std::vector<int> inputs) {
    return test::addNode(p, bytes, cost, false, std::move(inputs));
  };
  // As in exported steps, backward values are not recomputed.
  auto backward = [&](int64_t bytes, double cost, std::vector<int> inputs) {
    const int node = test::addNode(p, bytes, cost, true, std::move(inputs));
    p.nodes[node].recomputable = false;
    return node;
  };
  const int embedded = forward(steps * h / 2, steps * h / 8.0, {});
  const int projected =
      inputProjection ? forward(steps * g, steps * matmul / 2, {embedded}) : -1;
  int hPrev = forward(h, 0, {}), cPrev = forward(h, 0, {});
  struct Cell {
    int x, hp, gates, i, f, gg, o, c, tc, h, hIn, cIn;
  };
  std::vector<Cell> cells;
  for (int t = 0; t < steps; ++t) {
    Cell cell;
    cell.hIn = hPrev;
    cell.cIn = cPrev;
    cell.x = inputProjection ? projected : forward(g, matmul / 2, {embedded});
    cell.hp = forward(g, matmul, {hPrev});
    cell.gates = forward(g, g / 4.0, {cell.x, cell.hp});
    cell.i = forward(h, 4 * pointwise, {cell.gates});
    cell.f = forward(h, 4 * pointwise, {cell.gates});
    cell.gg = forward(h, 4 * pointwise, {cell.gates});
    cell.o = forward(h, 4 * pointwise, {cell.gates});
    const int fc = forward(h, pointwise, {cell.f, cPrev});
    const int ig = forward(h, pointwise, {cell.i, cell.gg});
    cell.c = forward(h, pointwise, {fc, ig});
    cell.tc = forward(h, 4 * pointwise, {cell.c});
    cell.h = forward(h, pointwise, {cell.o, cell.tc});
    cells.push_back(cell);
    hPrev = cell.h;
    cPrev = cell.c;
  }
  std::vector<int> hs;
  for (const Cell &cell : cells)
    hs.push_back(cell.h);
  const int stacked = forward(steps * h, steps * pointwise, hs);
  const int logits = forward(steps * vocabBytes, steps * matmul / 4, {stacked});
  forward(4, steps * vocabBytes / 4.0, {logits}); // the loss

  const int dLogits = backward(steps * vocabBytes, steps * vocabBytes / 4.0, {logits});
  backward(1 << 20, steps * matmul / 4, {dLogits, stacked}); // head weights
  const int dStacked = backward(steps * h, steps * matmul / 4, {dLogits});
  int dhNext = -1, dcNext = -1, dWeights = -1;
  std::vector<int> dGates;
  for (int t = steps - 1; t >= 0; --t) {
    const Cell &cell = cells[t];
    std::vector<int> dhInputs = {dStacked};
    if (dhNext >= 0)
      dhInputs.push_back(dhNext);
    const int dh = backward(h, pointwise, dhInputs);
    const int dO = backward(h, pointwise, {dh, cell.tc});
    const int dTc = backward(h, pointwise, {dh, cell.o});
    std::vector<int> dcInputs = {dTc, cell.tc};
    if (dcNext >= 0)
      dcInputs.push_back(dcNext);
    const int dc = backward(h, 3 * pointwise, dcInputs);
    const int dF = backward(h, pointwise, {dc, cell.cIn});
    const int dI = backward(h, pointwise, {dc, cell.gg});
    const int dG = backward(h, pointwise, {dc, cell.i});
    const int dGate = backward(g, g / 2.0,
                               {dI, dF, dG, dO, cell.i, cell.f, cell.gg, cell.o});
    dGates.push_back(dGate);
    dcNext = backward(h, pointwise, {dc, cell.f});
    dhNext = backward(h, matmul, {dGate});
    const int dW = backward(1 << 20, matmul, {dGate, cell.hIn});
    dWeights = dWeights < 0 ? dW : backward(1 << 20, (1 << 20) / 4.0, {dWeights, dW});
    if (!inputProjection)
      backward(256 << 10, matmul / 2, {dGate, embedded});
  }
  if (inputProjection) {
    const int dProjected = backward(steps * g, steps * g / 4.0, dGates);
    backward(256 << 10, steps * matmul / 2, {dProjected, embedded});
  }
  test::markUnreadAsOutputs(p);
  return p;
}

/// Fast, planned at the peak of each min-cut plan (MinCut.cpp's starts:
/// the min-cut partitioner swept over which nodes it may recompute), costs
/// no more than that plan.
void expectFastNoWorseAtMinCutPeaks(bool inputProjection) {
  const Problem problem = lstmStep(24, inputProjection);
  RetentionFamily family(problem);
  const int64_t unplanned = simulate(problem, keepAllPlan(problem)).peakBytes;
  double base = 0;
  for (const Node &node : problem.nodes)
    base += node.cost;
  int compared = 0;
  for (const std::vector<Retention> &state : minCutStates(family)) {
    const Simulation cut = simulate(problem, family.build(state));
    if (cut.peakBytes >= unplanned || cut.recomputeCost == 0)
      continue;
    SolveOptions options;
    options.budgetBytes = cut.peakBytes;
    SolveResult fast = solve(problem, SolverKind::Fast, options);
    ASSERT_TRUE(fast.feasible) << fast.message;
    EXPECT_EQ(validate(problem, fast.plan), "");
    EXPECT_LE(fast.sim.peakBytes, cut.peakBytes);
    std::printf("%s, %zu nodes, budget %.3f of the peak: min-cut plan %.2f%%, "
                "fast %.2f%%\n",
                inputProjection ? "nn.LSTM-like" : "nn.LSTMCell-like",
                problem.nodes.size(),
                static_cast<double>(cut.peakBytes) / unplanned,
                100 * cut.recomputeCost / base,
                100 * fast.sim.recomputeCost / base);
    EXPECT_LE(fast.sim.recomputeCost, cut.recomputeCost);
    ++compared;
  }
  EXPECT_GE(compared, 2);
}

TEST(Recurrent, FastNoWorseThanMinCutAtItsPeakLstm) {
  expectFastNoWorseAtMinCutPeaks(/*inputProjection=*/true);
}

TEST(Recurrent, FastNoWorseThanMinCutAtItsPeakLstmCell) {
  expectFastNoWorseAtMinCutPeaks(/*inputProjection=*/false);
}

} // namespace
