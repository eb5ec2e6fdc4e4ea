//===- Exact.cpp - Checkmate's MILP on HiGHS or COIN-OR CBC ---------------===//
//
// Jain et al., "Checkmate", MLSys 2020, section 4. Stage t computes node t
// (frontier-advancing); R[t][i] = node i is (re)computed in stage t, S[t][i] =
// i's value is in memory when stage t starts, U[t][k] = memory right after
// node k runs in stage t, FREE[t][i][k] = i is freed right after k runs.
//
// Two departures from the paper, both exact at integral R and S:
// * FREE is continuous with one upper bound per hazard (k not run, i kept for
//   the next stage, a later user of i run in this stage) instead of a binary
//   with an aggregated hazard count. Freeing only ever lowers U, so the
//   optimum sets FREE to its bound, which is 0 or 1; the LP is tighter and
//   the branching is on R and S alone.
// * Outputs are kept to the end (S fixed to 1, never freed), and the constant
//   `alwaysLiveBytes` is taken off the budget, so the model's memory is
//   remat's simulator's, which the returned plan is checked against anyway.
//
// The MILP goes to HiGHS (the default) or CBC, either one in a child process
// (solveIsolated); docs/planner.md, "exact", compares the two.
//
//===----------------------------------------------------------------------===//

#include "Liveness.h"
#include "SolverImpl.h"

#include <coin/Cbc_C_Interface.h>
#include <interfaces/highs_c_api.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>

namespace remat::planner {

namespace {

/// Larger models take a MILP solver longer to load than any time limit we
/// would use.
constexpr int64_t kMaxNonzeros = 4'000'000;

/// A MILP in row-wise triplets, handed to the solver column-wise.
class MilpBuilder {
public:
  int addColumn(double lower, double upper, double objective, bool integer) {
    lower_.push_back(lower);
    upper_.push_back(upper);
    objective_.push_back(objective);
    integer_.push_back(integer);
    return lower_.size() - 1;
  }
  void addRow(const std::vector<std::pair<int, double>> &terms, double lower,
              double upper) {
    const int row = rowLower_.size();
    for (const auto &[column, coefficient] : terms)
      entries_.push_back({column, row, coefficient});
    rowLower_.push_back(lower);
    rowUpper_.push_back(upper);
  }
  int64_t numNonzeros() const { return entries_.size(); }
  void fixLower(int column, double value) { lower_[column] = value; }
  void fixUpper(int column, double value) { upper_[column] = value; }

  int numColumns() const { return lower_.size(); }

  void loadInto(Cbc_Model *model) {
    auto matrix = columnWise<CoinBigIndex>();
    Cbc_loadProblem(model, numColumns(), rowLower_.size(), matrix.start.data(),
                    matrix.index.data(), matrix.value.data(), lower_.data(),
                    upper_.data(), objective_.data(), rowLower_.data(),
                    rowUpper_.data());
    for (int c = 0; c < numColumns(); ++c)
      if (integer_[c])
        Cbc_setInteger(model, c);
  }

  /// Hands the MILP to HiGHS (`highs` from Highs_create); false when HiGHS
  /// refuses it.
  bool loadIntoHighs(void *highs) {
    auto matrix = columnWise<HighsInt>();
    std::vector<HighsInt> integrality(numColumns());
    for (int c = 0; c < numColumns(); ++c)
      integrality[c] = integer_[c] ? kHighsVarTypeInteger : 0;
    return Highs_passMip(highs, numColumns(), rowLower_.size(),
                         matrix.value.size(), kHighsMatrixFormatColwise,
                         kHighsObjSenseMinimize, 0, objective_.data(),
                         lower_.data(), upper_.data(), rowLower_.data(),
                         rowUpper_.data(), matrix.start.data(),
                         matrix.index.data(), matrix.value.data(),
                         integrality.data()) != kHighsStatusError;
  }

private:
  struct Entry {
    int column;
    int row;
    double coefficient;
  };
  /// Compressed sparse columns, with the solver's index type.
  template <typename Index> struct ColumnWiseOf {
    std::vector<Index> start, index;
    std::vector<double> value;
  };
  template <typename Index> ColumnWiseOf<Index> columnWise() {
    std::sort(entries_.begin(), entries_.end(),
              [](const Entry &a, const Entry &b) {
                return a.column != b.column ? a.column < b.column
                                            : a.row < b.row;
              });
    ColumnWiseOf<Index> matrix;
    matrix.start.assign(numColumns() + 1, 0);
    matrix.index.reserve(entries_.size());
    matrix.value.reserve(entries_.size());
    for (const Entry &entry : entries_) {
      ++matrix.start[entry.column + 1];
      matrix.index.push_back(entry.row);
      matrix.value.push_back(entry.coefficient);
    }
    for (int c = 0; c < numColumns(); ++c)
      matrix.start[c + 1] += matrix.start[c];
    return matrix;
  }
  std::vector<double> lower_, upper_, objective_;
  std::vector<bool> integer_;
  std::vector<Entry> entries_;
  std::vector<double> rowLower_, rowUpper_;
};

constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// The largest objective coefficient handed to the solver (see
/// CheckmateModel).
constexpr double kMaxCost = 1e15;

/// Column indices of the Checkmate variables; -1 where a variable does not
/// exist (S[t][i] needs i < t, R and U need i <= t).
class CheckmateModel {
public:
  CheckmateModel(const Problem &problem, int64_t budgetBytes)
      : problem_(problem), n_(problem.nodes.size()) {
    int64_t largest = 1;
    for (const Node &node : problem.nodes)
      largest = std::max(largest, node.bytes);
    // Memory in units of the largest value keeps coefficients near 1.
    scale_ = static_cast<double>(largest);
    // CLP asserts on objective coefficients of 1e25 and more (a cost of
    // 1e300 is valid input): costs past kMaxCost are scaled down together.
    double costliest = 0;
    for (const Node &node : problem.nodes)
      costliest = std::max(costliest, node.cost);
    costScale_ = std::max(1.0, costliest / kMaxCost);
    // Half a byte of slack absorbs rounding in the scaled sums; byte counts
    // are integers, so it never admits a plan over the budget.
    capacity_ = (budgetBytes - problem.alwaysLiveBytes + 0.5) / scale_;
    users_.resize(n_);
    for (int j = 0; j < n_; ++j)
      for (int i : problem.nodes[j].inputs)
        users_[i].push_back(j);
  }

  bool build(std::string &why);
  MilpBuilder &milp() { return milp_; }
  /// What one unit of the MILP's objective costs.
  double costScale() const { return costScale_; }
  Plan planFrom(const double *solution) const;
  /// Values of the integer columns (R and S) of the stage schedule `plan`,
  /// for the solver's MIP start; false when `plan` is not a stage schedule in
  /// program order (a recompute of a node at or after its stage, twice in a
  /// stage, or out of order).
  bool startFrom(const Plan &plan, std::vector<int> &columns,
                 std::vector<double> &values) const;

private:
  double bytes(int i) const { return problem_.nodes[i].bytes / scale_; }
  /// Values that may be freed right after node k runs.
  std::vector<int> freeable(int k) const;
  void addVariables();
  void addDependencyRows();
  void addPolicyRows();
  void addMemoryRows(int t);
  void addFreeRows(int t, int i, int k, int freeColumn);

  const Problem &problem_;
  const int n_;
  double scale_ = 1, capacity_ = 0, costScale_ = 1;
  std::vector<std::vector<int>> users_;
  MilpBuilder milp_;
  std::vector<std::vector<int>> r_, s_, u_;
};

std::vector<int> CheckmateModel::freeable(int k) const {
  std::vector<int> values = problem_.nodes[k].inputs;
  values.push_back(k);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  values.erase(std::remove_if(values.begin(), values.end(),
                              [&](int i) { return problem_.nodes[i].output; }),
               values.end());
  return values;
}

void CheckmateModel::addVariables() {
  r_.assign(n_, {});
  s_.assign(n_, {});
  u_.assign(n_, {});
  for (int t = 0; t < n_; ++t)
    for (int i = 0; i <= t; ++i) {
      const Node &node = problem_.nodes[i];
      // Frontier-advancing: stage t runs t; others only if recomputable.
      double lower = i == t ? 1 : 0;
      double upper = i == t || mayRecompute(node) ? 1 : 0;
      r_[t].push_back(
          milp_.addColumn(lower, upper, node.cost / costScale_, true));
      if (i < t)
        s_[t].push_back(milp_.addColumn(node.output ? 1 : 0, 1, 0, true));
      u_[t].push_back(milp_.addColumn(0, capacity_, 0, false));
    }
}

void CheckmateModel::addDependencyRows() {
  for (int t = 0; t < n_; ++t)
    for (int j = 0; j <= t; ++j)
      for (int i : problem_.nodes[j].inputs)
        // A node runs only when each input is kept or run before it.
        milp_.addRow({{r_[t][j], 1}, {r_[t][i], -1}, {s_[t][i], -1}},
                     -kInfinity, 0);
  for (int t = 0; t + 1 < n_; ++t)
    for (int i = 0; i < t; ++i)
      // A value is kept into the next stage only if it was there or ran.
      milp_.addRow({{s_[t + 1][i], 1}, {s_[t][i], -1}, {r_[t][i], -1}},
                   -kInfinity, 0);
}

void CheckmateModel::addPolicyRows() {
  const std::vector<int> deadline = recomputeDeadlines(problem_);
  for (int i = 0; i < n_; ++i) {
    const int d = deadline[i];
    if (d < 0)
      continue;
    // Kept into its deadline's stage only as a version recomputed after its
    // own stage, never as the original.
    std::vector<std::pair<int, double>> row = {{s_[d][i], 1}};
    for (int t = i + 1; t < d; ++t)
      row.push_back({r_[t][i], -1});
    milp_.addRow(row, -kInfinity, 0);
  }
}

void CheckmateModel::addFreeRows(int t, int i, int k, int freeColumn) {
  milp_.addRow({{freeColumn, 1}, {r_[t][k], -1}}, -kInfinity, 0);
  if (t + 1 < n_)
    milp_.addRow({{freeColumn, 1}, {s_[t + 1][i], 1}}, -kInfinity, 1);
  for (int j : users_[i])
    if (j > k && j <= t)
      milp_.addRow({{freeColumn, 1}, {r_[t][j], 1}}, -kInfinity, 1);
}

void CheckmateModel::addMemoryRows(int t) {
  // U[t][0]: what the stage starts with, plus node 0 if it runs.
  std::vector<std::pair<int, double>> start = {{u_[t][0], 1},
                                               {r_[t][0], -bytes(0)}};
  for (int i = 0; i < t; ++i)
    start.push_back({s_[t][i], -bytes(i)});
  milp_.addRow(start, 0, 0);
  for (int k = 1; k <= t; ++k) {
    // U[t][k] = U[t][k-1] - freed after k-1 + node k if it runs.
    std::vector<std::pair<int, double>> step = {
        {u_[t][k], 1}, {u_[t][k - 1], -1}, {r_[t][k], -bytes(k)}};
    for (int i : freeable(k - 1)) {
      int freeColumn = milp_.addColumn(0, 1, 0, false);
      addFreeRows(t, i, k - 1, freeColumn);
      step.push_back({freeColumn, bytes(i)});
    }
    milp_.addRow(step, 0, 0);
  }
}

bool CheckmateModel::build(std::string &why) {
  if (capacity_ <= 0) {
    why = "the budget is below the always-live bytes";
    return false;
  }
  addVariables();
  addDependencyRows();
  addPolicyRows();
  for (int t = 0; t < n_; ++t) {
    addMemoryRows(t);
    if (milp_.numNonzeros() > kMaxNonzeros) {
      why = "the MILP exceeds " + std::to_string(kMaxNonzeros) +
            " nonzeros; use the fast solver for graphs this large";
      return false;
    }
  }
  return true;
}

/// Stage t runs the recomputed nodes i < t with R[t][i] = 1 in program order,
/// then node t.
Plan CheckmateModel::planFrom(const double *solution) const {
  Plan plan;
  for (int t = 0; t < n_; ++t) {
    for (int i = 0; i < t; ++i)
      if (solution[r_[t][i]] > 0.5)
        plan.schedule.push_back({i, /*recompute=*/true});
    plan.schedule.push_back({t, /*recompute=*/false});
  }
  return plan;
}

bool CheckmateModel::startFrom(const Plan &plan, std::vector<int> &columns,
                               std::vector<double> &values) const {
  const int numSteps = plan.schedule.size();
  // Stage of each step and the first step of each stage.
  std::vector<int> stageOf(numSteps), stageBegin(n_ + 1, numSteps);
  std::vector<std::vector<char>> ran(n_, std::vector<char>(n_, 0));
  int stage = 0, lastInStage = -1;
  for (int s = 0; s < numSteps; ++s) {
    if (stageBegin[stage] == numSteps)
      stageBegin[stage] = s;
    const Step &step = plan.schedule[s];
    if (stage >= n_)
      return false;
    stageOf[s] = stage;
    if (step.node <= lastInStage || step.node > stage)
      return false;
    if (step.recompute == (step.node == stage))
      return false;
    lastInStage = step.node;
    ran[stage][step.node] = 1;
    if (!step.recompute) {
      ++stage;
      lastInStage = -1;
    }
  }
  if (stage != n_)
    return false;
  // S[t][i]: the version of i current when stage t starts is read at or
  // after that point (outputs: always).
  std::vector<int> lastLive = versionLastLiveStep(problem_, plan);
  std::vector<int> current(n_, -1);
  std::vector<std::vector<char>> kept(n_, std::vector<char>(n_, 0));
  for (int s = 0, t = 0; t < n_; ++t) {
    for (int i = 0; i < t; ++i)
      kept[t][i] = current[i] >= 0 && lastLive[current[i]] >= stageBegin[t];
    for (; s < numSteps && stageOf[s] == t; ++s)
      current[plan.schedule[s].node] = s;
  }
  columns.clear();
  values.clear();
  for (int t = 0; t < n_; ++t)
    for (int i = 0; i <= t; ++i) {
      columns.push_back(r_[t][i]);
      values.push_back(ran[t][i]);
      if (i < t) {
        columns.push_back(s_[t][i]);
        values.push_back(kept[t][i] || problem_.nodes[i].output);
      }
    }
  return true;
}

/// How long past the solver's own limit its process may run before it is
/// killed.
constexpr double kGraceSeconds = 1;

/// What a MILP solve ended with.
struct MilpOutcome {
  /// The solver returned; otherwise `failure` says what happened instead.
  bool returned = false;
  std::string failure;
  /// The incumbent (every column); empty when there is none.
  std::vector<double> solution;
  bool provenOptimal = false;
  bool provenInfeasible = false;
  double objective = 0;
  double bound = -kInfinity;
};

/// The fixed-size part of what the solving process sends back; `columns`
/// doubles of solution follow when `hasSolution`.
struct MilpReport {
  /// The solver would not take the model (nothing else is set then).
  int32_t refused = 0;
  int32_t hasSolution = 0;
  int32_t provenOptimal = 0;
  int32_t provenInfeasible = 0;
  double objective = 0;
  double bound = -kInfinity;
  int64_t columns = 0;
};

/// A solve, run in the solving process: it fills the report's status fields
/// and the incumbent (left empty when there is none).
using ChildSolve =
    std::function<void(MilpReport &report, std::vector<double> &solution)>;

bool writeAll(int fd, const void *data, size_t size) {
  const char *bytes = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, bytes, size);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      return false;
    bytes += written;
    size -= written;
  }
  return true;
}

/// The solving process: solve, send the outcome, exit without running the
/// parent's exit handlers or flushing its buffers a second time.
[[noreturn]] void runChild(const ChildSolve &solve, int fd) {
  // A crash in the solver ends this process quietly; the parent reports it
  // (LLVM's crash handlers, inherited from remat-opt, would print a stack
  // dump).
  for (int signal : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE})
    std::signal(signal, SIG_DFL);
  MilpReport report;
  std::vector<double> solution;
  solve(report, solution);
  report.hasSolution = !solution.empty();
  report.columns = solution.size();
  bool sent = writeAll(fd, &report, sizeof report) &&
              writeAll(fd, solution.data(), sizeof(double) * solution.size());
  std::cout.flush();
  std::fflush(nullptr);
  _exit(sent ? 0 : 1);
}

/// Reads the child's report from `fd` until it closes or `deadline` passes.
/// False at the deadline (or when the pipe cannot be polled).
bool readUntil(int fd, std::chrono::steady_clock::time_point deadline,
               std::string &received) {
  char buffer[1 << 16];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0)
      return false;
    pollfd ready{fd, POLLIN, 0};
    int polled = ::poll(&ready, 1, static_cast<int>(std::min<int64_t>(
                                      left, std::numeric_limits<int>::max())));
    if (polled < 0 && errno == EINTR)
      continue;
    if (polled <= 0)
      return false;
    ssize_t count = ::read(fd, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR)
      continue;
    if (count <= 0)
      return true;
    received.append(buffer, count);
  }
}

/// Runs `solve` (the solver `name`, limited to `seconds` by its own options)
/// in a child process, killed `kGraceSeconds` after that limit: CBC does not
/// always stop at its limit (its root LP cannot be interrupted) and has
/// crashed in its preprocessing when the limit struck mid-solve; neither
/// may take remat down or past its limit. HiGHS checks its limit during its
/// LPs too, but gets the same guard; its threads, started in the child,
/// end with it.
MilpOutcome solveIsolated(const ChildSolve &solve, double seconds,
                          const std::string &name) {
  MilpOutcome outcome;
  int fds[2];
  // Close-on-exec: no other process started meanwhile may hold the pipe open.
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    outcome.failure = "cannot create a pipe for " + name + "'s process";
    return outcome;
  }
  // Nothing buffered before the fork may be written twice.
  std::cout.flush();
  std::fflush(nullptr);
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(seconds + kGraceSeconds));
  pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    outcome.failure = "cannot start " + name + "'s process";
    return outcome;
  }
  if (child == 0) {
    ::close(fds[0]);
    runChild(solve, fds[1]);
  }
  ::close(fds[1]);
  std::string received;
  const bool ended = readUntil(fds[0], deadline, received);
  ::close(fds[0]);
  if (!ended)
    ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  MilpReport report;
  if (ended && received.size() >= sizeof report) {
    std::memcpy(&report, received.data(), sizeof report);
    const size_t solutionBytes =
        report.hasSolution ? sizeof(double) * report.columns : 0;
    if (report.refused) {
      outcome.failure = name + " refused the model";
      return outcome;
    }
    if (received.size() == sizeof report + solutionBytes) {
      outcome.returned = true;
      outcome.provenOptimal = report.provenOptimal;
      outcome.provenInfeasible = report.provenInfeasible;
      outcome.objective = report.objective;
      outcome.bound = report.bound;
      outcome.solution.resize(solutionBytes / sizeof(double));
      // Without a solution (proven infeasible) the vector's data is null,
      // which memcpy must not get even for zero bytes.
      if (solutionBytes > 0)
        std::memcpy(outcome.solution.data(), received.data() + sizeof report,
                    solutionBytes);
      return outcome;
    }
  }
  if (!ended)
    outcome.failure = name + " did not stop at the time limit and was stopped";
  else if (WIFSIGNALED(status))
    outcome.failure = name + " crashed (signal " +
                      std::to_string(WTERMSIG(status)) + ")";
  else
    outcome.failure = name + "'s process ended without a result";
  return outcome;
}

/// Whether a solver's log goes to standard output (REMAT_MILP_LOG set).
bool milpLog() { return std::getenv("REMAT_MILP_LOG") != nullptr; }

using CbcModelPtr = std::unique_ptr<Cbc_Model, void (*)(Cbc_Model *)>;

/// CBC on `milp`, from the MIP start given as integer columns and their
/// values (none when empty), within `seconds`.
MilpOutcome solveWithCbc(MilpBuilder &milp, const std::vector<int> &columns,
                         const std::vector<double> &values, double seconds) {
  CbcModelPtr model(Cbc_newModel(), Cbc_deleteModel);
  milp.loadInto(model.get());
  Cbc_setLogLevel(model.get(), milpLog() ? 1 : 0);
  // The smallest value can be ~1e-8 of the largest; CBC's default tolerances
  // (1e-7, 1e-6) would let the incumbent overshoot the budget by a value.
  Cbc_setParameter(model.get(), "primalT", "1e-10");
  Cbc_setParameter(model.get(), "integerT", "1e-10");
  // Known limit (docs/planner.md, "exact"): CBC's preprocessing tightens
  // coefficients with its own tolerances; at a budget tight to the byte, a
  // tiny value's coefficient (4 bytes / 64 MiB = 6e-8) can be treated as
  // noise and the true optimum cut off, so "proven optimal" can be one unit of
  // cost above a plan `fast` finds. `preprocess off` fixes that instance but
  // makes CLP abort (ClpNonLinearCost assertion) on vgg16 at 0.6, so it stays
  // on.
  // The limit is wall-clock, like the option says (CBC counts CPU time by
  // default, which on a busy machine let exact run several times its limit).
  Cbc_setParameter(model.get(), "timeMode", "elapsed");
  // REMAT_EXACT_MPS=PATH writes the MILP (without the start) for another
  // solver to check (docs/planner.md, "exact"); CBC appends ".mps.gz",
  // HiGHS writes PATH in the format its extension names (.mps, .lp).
  if (const char *mps = std::getenv("REMAT_EXACT_MPS"))
    Cbc_writeMps(model.get(), mps);
  if (!columns.empty())
    Cbc_setMIPStartI(model.get(), columns.size(), columns.data(),
                     values.data());
  Cbc_setMaximumSeconds(model.get(), seconds);
  Cbc_Model *raw = model.get();
  return solveIsolated(
      [raw](MilpReport &report, std::vector<double> &solution) {
        Cbc_solve(raw);
        report.provenOptimal = Cbc_isProvenOptimal(raw) != 0;
        report.provenInfeasible = Cbc_isProvenInfeasible(raw) != 0;
        report.bound = Cbc_getBestPossibleObjValue(raw);
        if (const double *best = Cbc_bestSolution(raw)) {
          report.objective = Cbc_getObjValue(raw);
          solution.assign(best, best + Cbc_getNumCols(raw));
        }
      },
      seconds, "CBC");
}

/// HiGHS on `milp`, as solveWithCbc. Everything HiGHS does, loading the
/// model included, happens in the solving process.
MilpOutcome solveWithHighs(MilpBuilder &milp, const std::vector<int> &columns,
                           const std::vector<double> &values, double seconds) {
  return solveIsolated(
      [&](MilpReport &report, std::vector<double> &solution) {
        void *highs = Highs_create();
        Highs_setBoolOptionValue(highs, "output_flag", milpLog());
        Highs_setDoubleOptionValue(highs, "time_limit", seconds);
        // As CBC's: an incumbent must not overshoot the budget by a tiny
        // value's bytes (memory is in units of the largest value).
        Highs_setDoubleOptionValue(highs, "primal_feasibility_tolerance",
                                   1e-10);
        Highs_setDoubleOptionValue(highs, "mip_feasibility_tolerance", 1e-10);
        // Proven optimal means no relative gap (HiGHS stops at 1e-4 by
        // default, which would call a plan 0.01% above the optimum proven);
        // its absolute gap stays at its default, 1e-6 of the objective's
        // units (cost / costScale()). Its time limit is wall-clock.
        Highs_setDoubleOptionValue(highs, "mip_rel_gap", 0);
        if (!milp.loadIntoHighs(highs)) {
          report.refused = 1;
          return;
        }
        if (const char *path = std::getenv("REMAT_EXACT_MPS"))
          Highs_writeModel(highs, path);
        std::vector<HighsInt> index(columns.begin(), columns.end());
        if (!index.empty())
          Highs_setSparseSolution(highs, index.size(), index.data(),
                                  values.data());
        Highs_run(highs);
        const HighsInt status = Highs_getModelStatus(highs);
        report.provenOptimal = status == kHighsModelStatusOptimal;
        report.provenInfeasible = status == kHighsModelStatusInfeasible;
        Highs_getDoubleInfoValue(highs, "mip_dual_bound", &report.bound);
        HighsInt primal = kHighsSolutionStatusNone;
        Highs_getIntInfoValue(highs, "primal_solution_status", &primal);
        if (primal == kHighsSolutionStatusFeasible) {
          Highs_getDoubleInfoValue(highs, "objective_function_value",
                                   &report.objective);
          solution.resize(milp.numColumns());
          Highs_getSolution(highs, solution.data(), nullptr, nullptr, nullptr);
        }
      },
      seconds, "HiGHS");
}

/// Whether `bound` bounds anything: the solvers say "no bound" with NaN,
/// -infinity or a huge negative value (-DBL_MAX, -COIN_DBL_MAX).
bool isBound(double bound) { return std::isfinite(bound) && bound > -1e300; }

/// A relative gap on recompute cost: `incumbent` and `bound` are costs of
/// whole schedules, each holding `baseCost` for running every node once.
double recomputeGap(double incumbent, double bound, double baseCost) {
  const double recompute = incumbent - baseCost;
  if (!isBound(bound))
    return 1;
  if (recompute <= 1e-9 * std::max(1.0, baseCost))
    return 0;
  return std::clamp((incumbent - bound) / recompute, 0.0, 1.0);
}

} // namespace

SolveResult exactSolve(const Problem &problem, const SolveOptions &options,
                       const Plan *start, double startSeconds) {
  auto begin = std::chrono::steady_clock::now();
  SolveResult result;
  CheckmateModel checkmate(problem, options.budgetBytes);
  std::string why;
  if (!checkmate.build(why)) {
    result.message = "exact: " + why;
    if (start) {
      result.plan = *start;
      result.gap = 1;
      result.message += "; returning fast's plan";
    }
    return result;
  }
  std::vector<int> columns;
  std::vector<double> values;
  const bool started =
      start && checkmate.startFrom(*start, columns, values);
  if (!started) {
    columns.clear();
    values.clear();
  }
  const bool highs = options.mipSolver == MipSolver::Highs;
  const std::string name = highs ? "HiGHS" : "CBC";
  double elapsed = startSeconds + std::chrono::duration<double>(
                                      std::chrono::steady_clock::now() - begin)
                                      .count();
  const double seconds = std::max(1.0, options.timeLimitSeconds - elapsed);
  MilpOutcome outcome =
      highs ? solveWithHighs(checkmate.milp(), columns, values, seconds)
            : solveWithCbc(checkmate.milp(), columns, values, seconds);
  if (start && !started)
    result.message = "exact: the start plan is not a stage schedule; " +
                     name + " started without it";
  double baseCost = 0;
  for (const Node &node : problem.nodes)
    baseCost += node.cost;
  // The gap is measured against the better of the solver's bound and
  // RecomputeCostBound's (it holds for every stage schedule): where the
  // solver stops at its root LP, or before it, the latter often says more.
  const double costBound = RecomputeCostBound(problem).at(options.budgetBytes);
  auto bestBound = [&](double milpBound) {
    const double own = std::isfinite(costBound) ? baseCost + costBound : NAN;
    if (!isBound(milpBound))
      return own;
    return isBound(own) ? std::max(milpBound, own) : milpBound;
  };

  const bool solved = !outcome.solution.empty();
  if (solved) {
    result.plan = checkmate.planFrom(outcome.solution.data());
    result.provenOptimal = outcome.provenOptimal;
    result.gap = result.provenOptimal
                     ? 0
                     : recomputeGap(outcome.objective * checkmate.costScale(),
                                    bestBound(outcome.bound * checkmate.costScale()),
                                    baseCost);
  } else {
    result.message = !outcome.returned ? "exact: " + outcome.failure
                     : outcome.provenInfeasible
                         ? "exact: no schedule fits the budget (MILP infeasible)"
                         : "exact: no solution found within the time limit";
  }
  if (!start)
    return result;
  // Never worse than the start: the solver may end without an incumbent (its
  // preprocessing can even drop the start, its process may be stopped), and
  // the simulator, not the MILP, is the judge of cost.
  const double startCost = simulate(problem, *start).recomputeCost;
  if (solved) {
    Simulation sim = simulate(problem, result.plan);
    if (sim.peakBytes <= options.budgetBytes &&
        sim.recomputeCost <= startCost)
      return result;
  }
  const bool claimedOptimal = solved && result.provenOptimal;
  result.plan = *start;
  result.provenOptimal = false;
  result.gap =
      !outcome.returned ? recomputeGap(baseCost + startCost, bestBound(NAN), baseCost)
      : !outcome.provenInfeasible
          ? recomputeGap(baseCost + startCost,
                         bestBound(outcome.bound * checkmate.costScale()), baseCost)
          : 1;
  result.message =
      !outcome.returned
          ? "exact: " + outcome.failure + "; returning fast's plan (its MIP start)"
      : claimedOptimal || (!solved && outcome.provenInfeasible)
          ? "exact: " + name +
                "'s optimum (after its preprocessing) is worse than fast's "
                "plan; returning fast's plan, not proven optimal"
          : "exact: " + name +
                " found nothing better than fast's plan (its MIP start) "
                "within the time limit";
  return result;
}

} // namespace remat::planner
