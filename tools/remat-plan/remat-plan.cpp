//===- remat-plan.cpp - Plan a training graph without IR ------------------===//
//
// Reads a graph in networkx node-link JSON (the formats of shared/graphs), a
// planner Problem dump (`{"format": "remat-problem", ...}`, written by any
// solve() run with REMAT_PLANNER_DUMP=PATH set, e.g. by remat-opt), or
// generates a seeded random training graph, solves it for a budget and prints
// one JSON object with the result.
//
//   remat-plan GRAPH.json [--budget B] [--solver S] [--time-limit SECONDS]
//   remat-plan --random N [--seed S] [...]
//
//===----------------------------------------------------------------------===//

#include "remat/Planner/Budget.h"
#include "remat/Planner/RandomGraph.h"
#include "remat/Planner/Solvers.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>

using namespace remat::planner;

namespace {

struct Options {
  std::string graphPath;
  int randomNodes = 0;
  uint64_t seed = 1;
  std::string budget = "1.0";
  SolverKind solver = SolverKind::Fast;
  double timeLimit = 60;
};

[[noreturn]] void die(const llvm::Twine &message, int code = 1) {
  llvm::errs() << "remat-plan: " << message << "\n";
  std::exit(code);
}

constexpr const char *kUsage =
    "usage: remat-plan (GRAPH.json | --random N [--seed S]) [--budget B] "
    "[--solver fast|exact|keep-all|recompute-all|sqrtn|knapsack] "
    "[--time-limit SECONDS]";

Options parseArgs(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value after " + arg + "\n" + kUsage);
      return argv[++i];
    };
    if (arg == "--budget")
      options.budget = value();
    else if (arg == "--solver") {
      std::string name = value();
      std::optional<SolverKind> kind = parseSolverKind(name);
      if (!kind)
        die("unknown solver '" + name + "'\n" + kUsage);
      options.solver = *kind;
    } else if (arg == "--time-limit")
      options.timeLimit = std::atof(value().c_str());
    else if (arg == "--random")
      options.randomNodes = std::atoi(value().c_str());
    else if (arg == "--seed")
      options.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (arg == "--help" || arg == "-h") {
      llvm::outs() << kUsage << "\n";
      std::exit(0);
    } else if (!arg.empty() && arg[0] != '-' && options.graphPath.empty())
      options.graphPath = arg;
    else
      die("unexpected argument '" + arg + "'\n" + kUsage);
  }
  if (options.graphPath.empty() == (options.randomNodes <= 0))
    die(llvm::Twine("give either a graph file or --random N\n") + kUsage);
  return options;
}

/// Node ids in node-link JSON are `id` (checkmate) or `name` (random-layered).
std::optional<int64_t> nodeId(const llvm::json::Object &node) {
  if (auto id = node.getInteger("id"))
    return id;
  return node.getInteger("name");
}

/// The first of `keys` present as a number.
std::optional<double> numberField(const llvm::json::Object &object,
                                  std::initializer_list<const char *> keys) {
  for (const char *key : keys)
    if (auto value = object.getNumber(key))
      return value;
  return std::nullopt;
}

/// Edge ends: `source`/`target`, or `0`/`1` as in the random-layered files.
std::optional<std::pair<int64_t, int64_t>>
edgeEnds(const llvm::json::Object &link) {
  for (auto [from, to] : {std::pair{"source", "target"}, std::pair{"0", "1"}})
    if (auto s = link.getInteger(from))
      if (auto t = link.getInteger(to))
        return std::pair{*s, *t};
  return std::nullopt;
}

/// Program order: the graph's `order` attribute, else ascending ids (checkmate
/// ids are a topological order).
std::vector<int64_t> programOrder(const llvm::json::Object &graph,
                                  std::vector<int64_t> ids) {
  if (const llvm::json::Object *attrs = graph.getObject("graph"))
    if (const llvm::json::Array *order = attrs->getArray("order")) {
      std::vector<int64_t> result;
      for (const llvm::json::Value &id : *order)
        if (auto value = id.getAsInteger())
          result.push_back(*value);
      return result;
    }
  std::sort(ids.begin(), ids.end());
  return ids;
}

/// The remat-problem format: {"format": "remat-problem", "always_live_bytes":
/// N, "nodes": [{"name", "bytes", "cost", "backward", "recomputable",
/// "output", "inputs": [indices of earlier nodes]}]} in program order.
Problem readProblemDump(const std::string &path,
                        const llvm::json::Object &object) {
  const llvm::json::Array *nodes = object.getArray("nodes");
  if (!nodes)
    die("'" + path + "': a remat-problem needs 'nodes'");
  Problem problem;
  problem.alwaysLiveBytes = object.getInteger("always_live_bytes").value_or(0);
  for (const llvm::json::Value &value : *nodes) {
    const llvm::json::Object *entry = value.getAsObject();
    if (!entry)
      die("'" + path + "': a node is not an object");
    Node node;
    if (auto name = entry->getString("name"))
      node.name = name->str();
    else
      node.name = std::to_string(problem.nodes.size());
    node.bytes = entry->getInteger("bytes").value_or(0);
    node.cost = entry->getNumber("cost").value_or(0);
    node.backward = entry->getBoolean("backward").value_or(false);
    node.recomputable = entry->getBoolean("recomputable").value_or(true);
    node.output = entry->getBoolean("output").value_or(false);
    if (const llvm::json::Array *inputs = entry->getArray("inputs"))
      for (const llvm::json::Value &input : *inputs) {
        auto index = input.getAsInteger();
        if (!index || *index < 0 ||
            *index >= static_cast<int64_t>(problem.nodes.size()))
          die("'" + path + "': node " + llvm::Twine(problem.nodes.size()) +
              " has an input that is not an earlier node");
        node.inputs.push_back(*index);
      }
    problem.nodes.push_back(std::move(node));
  }
  return problem;
}

Problem readGraph(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    die("cannot read '" + path + "': " + buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    die("'" + path + "' is not JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *graph = json->getAsObject();
  if (graph && graph->getString("format") == llvm::StringRef("remat-problem"))
    return readProblemDump(path, *graph);
  const llvm::json::Array *nodes = graph ? graph->getArray("nodes") : nullptr;
  const llvm::json::Array *links = graph ? graph->getArray("links") : nullptr;
  if (!nodes || !links)
    die("'" + path + "' is not a node-link graph (needs 'nodes' and 'links')");

  std::map<int64_t, Node> byId;
  std::vector<int64_t> ids;
  for (const llvm::json::Value &value : *nodes) {
    const llvm::json::Object *object = value.getAsObject();
    std::optional<int64_t> id = object ? nodeId(*object) : std::nullopt;
    std::optional<double> bytes =
        object ? numberField(*object, {"cost_ram", "out_cost"}) : std::nullopt;
    std::optional<double> cost =
        object ? numberField(*object, {"cost_cpu", "duration"}) : std::nullopt;
    if (!id || !bytes || !cost)
      die("'" + path + "': every node needs an id and cost_ram/out_cost and "
                       "cost_cpu/duration");
    Node node;
    auto name = object->getString("name");
    node.name = name ? name->str() : std::to_string(*id);
    node.bytes = static_cast<int64_t>(*bytes);
    node.cost = *cost;
    node.backward = object->getBoolean("backward").value_or(false);
    byId[*id] = node;
    ids.push_back(*id);
  }

  std::vector<int64_t> order = programOrder(*graph, ids);
  if (order.size() != byId.size())
    die("'" + path + "': the 'order' attribute does not list every node once");
  std::map<int64_t, int> position;
  Problem problem;
  for (int64_t id : order) {
    if (!byId.count(id) || position.count(id))
      die("'" + path + "': bad node " + llvm::Twine(id) + " in 'order'");
    position[id] = problem.nodes.size();
    problem.nodes.push_back(byId[id]);
  }
  std::vector<bool> consumed(problem.nodes.size(), false);
  for (const llvm::json::Value &value : *links) {
    const llvm::json::Object *link = value.getAsObject();
    auto ends = link ? edgeEnds(*link) : std::nullopt;
    if (!ends || !position.count(ends->first) || !position.count(ends->second))
      die("'" + path + "': a link names an unknown node");
    int from = position[ends->first], to = position[ends->second];
    if (from >= to)
      die("'" + path + "': edge " + llvm::Twine(ends->first) + " -> " +
          llvm::Twine(ends->second) + " goes against the program order");
    problem.nodes[to].inputs.push_back(from);
    consumed[from] = true;
  }
  for (int i = 0, e = problem.nodes.size(); i < e; ++i) {
    std::sort(problem.nodes[i].inputs.begin(), problem.nodes[i].inputs.end());
    problem.nodes[i].output = !consumed[i];
  }
  return problem;
}

void printResult(const Options &options, const Problem &problem,
                 int64_t unplannedPeak, int64_t budget,
                 const SolveResult &result) {
  double baseCost = 0;
  for (const Node &node : problem.nodes)
    baseCost += node.cost;
  llvm::json::Object out{
      {"solver", std::string(solverKindName(options.solver))},
      {"nodes", static_cast<int64_t>(problem.nodes.size())},
      {"unplanned_peak_bytes", unplannedPeak},
      {"budget_bytes", budget},
      {"planned_peak_bytes", result.sim.peakBytes},
      {"recompute_cost", result.sim.recomputeCost},
      {"total_cost", baseCost + result.sim.recomputeCost},
      {"overhead_percent",
       baseCost > 0 ? 100 * result.sim.recomputeCost / baseCost : 0.0},
      {"solve_seconds", result.solveSeconds},
      {"feasible", result.feasible},
  };
  if (options.solver == SolverKind::Exact) {
    out["proven_optimal"] = result.provenOptimal;
    out["gap"] = result.gap;
  }
  if (!result.message.empty())
    out["message"] = result.message;
  llvm::outs() << llvm::json::Value(std::move(out)) << "\n";
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseArgs(argc, argv);
  Problem problem = options.randomNodes > 0
                        ? randomTrainingGraph(options.randomNodes, options.seed)
                        : readGraph(options.graphPath);
  BudgetOrError parsed = parseBudget(options.budget);
  if (!parsed.budget)
    die(parsed.error);
  const int64_t unplannedPeak =
      simulate(problem, keepAllPlan(problem)).peakBytes;
  const int64_t budget = parsed.budget->resolve(unplannedPeak);

  SolveOptions solveOptions;
  solveOptions.budgetBytes = budget;
  solveOptions.timeLimitSeconds = options.timeLimit;
  SolveResult result = solve(problem, options.solver, solveOptions);
  printResult(options, problem, unplannedPeak, budget, result);
  if (!result.feasible) {
    llvm::outs().flush();
    die("no plan within " + llvm::Twine(budget) + " bytes from solver '" +
            std::string(solverKindName(options.solver)) + "' (" +
            result.message + "); the smallest feasible budget is " +
            llvm::Twine(smallestFeasibleBudget(problem)) +
            " bytes (the recompute-all peak)",
        2);
  }
  return 0;
}
