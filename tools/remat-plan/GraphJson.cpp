//===- GraphJson.cpp - Planner problems from JSON graphs ------------------===//

#include "GraphJson.h"

#include "remat/Planner/Validate.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>

namespace remat::planner {

namespace {

using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Whether arrays and objects nest deeper than kMaxJsonNesting somewhere in
/// the prefix of `text` that is well-formed JSON (the parser stops at the
/// first error, so what follows does not matter).
bool nestsTooDeep(llvm::StringRef text) {
  int depth = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonNesting)
        return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

/// Compact JSON text of `value`: how ids are keyed and named in errors.
std::string jsonText(const Value &value) {
  return llvm::formatv("{0}", value).str();
}

/// A size in bytes: an integral number in [0, INT64_MAX]; fractions round up.
llvm::Expected<int64_t> bytesOf(const Value &value, const llvm::Twine &what) {
  if (std::optional<int64_t> integer = value.getAsInteger()) {
    if (*integer < 0)
      return fail(what + " is negative (" + llvm::Twine(*integer) + ")");
    return *integer;
  }
  std::optional<double> number = value.getAsNumber();
  if (!number)
    return fail(what + " is not a number (" + jsonText(value) + ")");
  if (!(*number >= 0))
    return fail(what + " is negative (" + jsonText(value) + ")");
  // 2^63 is exactly representable; every double below it fits in int64.
  if (*number >= 9223372036854775808.0)
    return fail(what + " is larger than INT64_MAX bytes (" + jsonText(value) +
                ")");
  return static_cast<int64_t>(std::ceil(*number));
}

/// A cost: a finite, non-negative number.
llvm::Expected<double> costOf(const Value &value, const llvm::Twine &what) {
  std::optional<double> number = value.getAsNumber();
  if (!number)
    return fail(what + " is not a number (" + jsonText(value) + ")");
  if (!std::isfinite(*number) || *number < 0)
    return fail(what + " is not a finite, non-negative number (" +
                jsonText(value) + ")");
  return *number;
}

/// The first of `keys` present in `object`.
const Value *field(const Object &object,
                   std::initializer_list<const char *> keys) {
  for (const char *key : keys)
    if (const Value *value = object.get(key))
      return value;
  return nullptr;
}

/// The remat-problem format: {"format": "remat-problem", "always_live_bytes":
/// `key` of `object` as a boolean: `fallback` when absent, an error naming
/// it when it is something else.
llvm::Expected<bool> flagOf(const Object &object, llvm::StringRef key,
                            bool fallback, const std::string &where) {
  const Value *value = object.get(key);
  if (!value)
    return fallback;
  if (std::optional<bool> flag = value->getAsBoolean())
    return *flag;
  return fail(where + " '" + key + "' is not true or false (" +
              jsonText(*value) + ")");
}

/// N, "nodes": [{"name", "bytes", "cost", "backward", "recomputable",
/// "output", "inputs": [indices of earlier nodes], "policy": "save" |
/// "recompute" (optional, planner::Policy)}]} in program order.
llvm::Expected<Problem> readProblemDump(const Object &object) {
  const Array *nodes = object.getArray("nodes");
  if (!nodes)
    return fail("a remat-problem needs a 'nodes' array");
  Problem problem;
  if (const Value *always = object.get("always_live_bytes")) {
    llvm::Expected<int64_t> bytes = bytesOf(*always, "'always_live_bytes'");
    if (!bytes)
      return bytes.takeError();
    problem.alwaysLiveBytes = *bytes;
  }
  for (const Value &value : *nodes) {
    const int index = problem.nodes.size();
    const std::string where = "node " + std::to_string(index);
    const Object *entry = value.getAsObject();
    if (!entry)
      return fail(where + " is not an object");
    Node node;
    if (auto name = entry->getString("name"))
      node.name = name->str();
    else
      node.name = std::to_string(index);
    if (const Value *bytes = entry->get("bytes")) {
      llvm::Expected<int64_t> parsed = bytesOf(*bytes, where + " 'bytes'");
      if (!parsed)
        return parsed.takeError();
      node.bytes = *parsed;
    }
    if (const Value *cost = entry->get("cost")) {
      llvm::Expected<double> parsed = costOf(*cost, where + " 'cost'");
      if (!parsed)
        return parsed.takeError();
      node.cost = *parsed;
    }
    for (auto [key, flag, fallback] :
         {std::tuple<const char *, bool *, bool>{"backward", &node.backward,
                                                 false},
          {"recomputable", &node.recomputable, true},
          {"output", &node.output, false}}) {
      llvm::Expected<bool> parsed = flagOf(*entry, key, fallback, where);
      if (!parsed)
        return parsed.takeError();
      *flag = *parsed;
    }
    if (std::optional<llvm::StringRef> policy = entry->getString("policy")) {
      if (*policy == "save")
        node.policy = Policy::Save;
      else if (*policy == "recompute")
        node.policy = Policy::Recompute;
      else
        return fail(where + " 'policy' must be \"save\" or \"recompute\", got '" +
                    policy->str() + "'");
    }
    if (const Array *inputs = entry->getArray("inputs"))
      for (const Value &input : *inputs) {
        std::optional<int64_t> from = input.getAsInteger();
        if (!from || *from < 0 || *from >= index)
          return fail(where + " has input " + jsonText(input) +
                      ", which is not an earlier node");
        node.inputs.push_back(*from);
      }
    problem.nodes.push_back(std::move(node));
  }
  return problem;
}

/// A node-link node id: an integer or a string, keyed by its JSON text.
std::optional<std::string> idKey(const Value &value) {
  if (value.getAsInteger() || value.getAsString())
    return jsonText(value);
  return std::nullopt;
}

struct NodeLinkNode {
  std::string key;
  std::optional<int64_t> integerId;
  Node node;
};

/// Reads the `nodes` of a node-link graph, in file order; `indexOf` maps
/// their keys to their positions in the result.
llvm::Expected<std::vector<NodeLinkNode>>
readNodes(const Array &nodes, llvm::StringMap<int> &indexOf) {
  std::vector<NodeLinkNode> result;
  for (const Value &value : nodes) {
    const std::string position = "node #" + std::to_string(result.size());
    const Object *object = value.getAsObject();
    if (!object)
      return fail(position + " is not an object");
    // Ids are `id` (networkx, checkmate) or `name` (random-layered).
    const Value *id = field(*object, {"id", "name"});
    std::optional<std::string> key = id ? idKey(*id) : std::nullopt;
    if (!key)
      return fail(position + " needs an 'id' (or 'name') that is an integer "
                             "or a string");
    const std::string where = "node " + *key;
    if (!indexOf.try_emplace(*key, result.size()).second)
      return fail(where + " appears twice");
    const Value *bytes = field(*object, {"cost_ram", "out_cost"});
    const Value *cost = field(*object, {"cost_cpu", "duration"});
    if (!bytes || !cost)
      return fail(where + " needs 'cost_ram' (or 'out_cost') and 'cost_cpu' "
                          "(or 'duration')");
    NodeLinkNode entry;
    entry.key = *key;
    entry.integerId = id->getAsInteger();
    llvm::Expected<int64_t> parsedBytes = bytesOf(*bytes, where + " size");
    if (!parsedBytes)
      return parsedBytes.takeError();
    llvm::Expected<double> parsedCost = costOf(*cost, where + " cost");
    if (!parsedCost)
      return parsedCost.takeError();
    entry.node.bytes = *parsedBytes;
    entry.node.cost = *parsedCost;
    auto name = object->getString("name");
    entry.node.name =
        name ? name->str()
             : (id->getAsString() ? id->getAsString()->str() : *key);
    llvm::Expected<bool> backward = flagOf(*object, "backward", false, where);
    if (!backward)
      return backward.takeError();
    entry.node.backward = *backward;
    result.push_back(std::move(entry));
  }
  return result;
}

/// Edge ends as node keys: `source`/`target`, or `0`/`1` (random-layered).
std::optional<std::pair<std::string, std::string>>
edgeEnds(const Object &link) {
  for (auto [from, to] : {std::pair{"source", "target"}, std::pair{"0", "1"}}) {
    const Value *source = link.get(from), *target = link.get(to);
    if (!source || !target)
      continue;
    std::optional<std::string> s = idKey(*source), t = idKey(*target);
    if (s && t)
      return std::pair{*s, *t};
  }
  return std::nullopt;
}

using Edge = std::pair<int, int>;

/// Program order as indices into `nodes`: the graph's `order` attribute, else
/// ascending ids when they are all integers (checkmate ids are a topological
/// order), else a topological order that keeps the file's order where the
/// edges allow.
llvm::Expected<std::vector<int>>
programOrder(const Object &graph, const std::vector<NodeLinkNode> &nodes,
             const llvm::StringMap<int> &indexOf,
             const std::vector<Edge> &edges) {
  std::vector<int> order;
  if (const Object *attrs = graph.getObject("graph"))
    if (const Array *listed = attrs->getArray("order")) {
      std::vector<bool> placed(nodes.size(), false);
      for (const Value &id : *listed) {
        std::optional<std::string> key = idKey(id);
        auto it = key ? indexOf.find(*key) : indexOf.end();
        if (it == indexOf.end() || placed[it->second])
          return fail("'order' lists " + jsonText(id) +
                      ", which is no node or is listed twice");
        placed[it->second] = true;
        order.push_back(it->second);
      }
      if (order.size() != nodes.size())
        return fail("'order' does not list every node");
      return order;
    }
  order.resize(nodes.size());
  for (int i = 0, e = nodes.size(); i < e; ++i)
    order[i] = i;
  if (std::all_of(nodes.begin(), nodes.end(),
                  [](const NodeLinkNode &n) { return n.integerId; })) {
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return *nodes[a].integerId < *nodes[b].integerId;
    });
    return order;
  }
  // Kahn's algorithm, the earliest node in the file first.
  std::vector<std::vector<int>> successors(nodes.size());
  std::vector<int> pending(nodes.size(), 0);
  for (auto [from, to] : edges) {
    successors[from].push_back(to);
    ++pending[to];
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0, e = nodes.size(); i < e; ++i)
    if (pending[i] == 0)
      ready.push(i);
  order.clear();
  while (!ready.empty()) {
    int next = ready.top();
    ready.pop();
    order.push_back(next);
    for (int successor : successors[next])
      if (--pending[successor] == 0)
        ready.push(successor);
  }
  if (order.size() != nodes.size())
    for (int i = 0, e = nodes.size(); i < e; ++i)
      if (pending[i] > 0)
        return fail("the links form a cycle through node " + nodes[i].key);
  return order;
}

llvm::Expected<Problem> readNodeLink(const Object &graph) {
  const Array *nodeArray = graph.getArray("nodes");
  const Array *linkArray = graph.getArray("links");
  if (!linkArray)
    linkArray = graph.getArray("edges");
  if (!nodeArray || !linkArray)
    return fail("not a node-link graph (needs 'nodes' and 'links' or "
                "'edges' arrays)");
  llvm::StringMap<int> indexOf;
  llvm::Expected<std::vector<NodeLinkNode>> nodes =
      readNodes(*nodeArray, indexOf);
  if (!nodes)
    return nodes.takeError();

  std::vector<Edge> edges;
  for (const Value &value : *linkArray) {
    const std::string where = "link #" + std::to_string(edges.size());
    const Object *link = value.getAsObject();
    auto ends = link ? edgeEnds(*link) : std::nullopt;
    if (!ends)
      return fail(where + " needs 'source' and 'target' node ids");
    for (const std::string &end : {ends->first, ends->second})
      if (!indexOf.count(end))
        return fail(where + " names node " + end + ", which does not exist");
    edges.push_back({indexOf[ends->first], indexOf[ends->second]});
  }

  llvm::Expected<std::vector<int>> order =
      programOrder(graph, *nodes, indexOf, edges);
  if (!order)
    return order.takeError();
  std::vector<int> position(nodes->size());
  Problem problem;
  for (int index : *order) {
    position[index] = problem.nodes.size();
    problem.nodes.push_back((*nodes)[index].node);
  }
  std::vector<bool> consumed(problem.nodes.size(), false);
  for (auto [from, to] : edges) {
    if (position[from] >= position[to])
      return fail(
          "edge " + (*nodes)[from].key + " -> " + (*nodes)[to].key +
          (from == to ? " is a self-loop" : " goes against the program order"));
    problem.nodes[position[to]].inputs.push_back(position[from]);
    consumed[position[from]] = true;
  }
  for (int i = 0, e = problem.nodes.size(); i < e; ++i) {
    std::vector<int> &inputs = problem.nodes[i].inputs;
    std::sort(inputs.begin(), inputs.end());
    inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
    problem.nodes[i].output = !consumed[i];
  }
  return problem;
}

} // namespace

llvm::Expected<Problem> readGraphJson(llvm::StringRef text) {
  if (nestsTooDeep(text))
    return fail("not JSON this reader accepts: arrays and objects nest more "
                "than " +
                llvm::Twine(kMaxJsonNesting) + " levels deep");
  llvm::Expected<Value> json = llvm::json::parse(text);
  if (!json)
    return fail("not JSON: " + llvm::toString(json.takeError()));
  const Object *object = json->getAsObject();
  if (!object)
    return fail("not a JSON object");
  llvm::Expected<Problem> problem =
      object->getString("format") == llvm::StringRef("remat-problem")
          ? readProblemDump(*object)
          : readNodeLink(*object);
  if (!problem)
    return problem.takeError();
  if (std::string invalid = checkProblem(*problem); !invalid.empty())
    return fail(invalid);
  return problem;
}

} // namespace remat::planner
