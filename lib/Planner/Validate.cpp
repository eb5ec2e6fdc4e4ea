//===- Validate.cpp - Sane planner input, checked once --------------------===//

#include "remat/Planner/Validate.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace remat::planner {

namespace {

std::string quoted(const Node &node, int index) {
  return "node " + std::to_string(index) + " ('" + node.name + "')";
}

/// Shortest round-tripping text of `value` (no "1e+999" surprises in errors).
std::string numberText(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

} // namespace

std::string checkProblem(const Problem &problem) {
  if (problem.nodes.size() >
      static_cast<size_t>(std::numeric_limits<int>::max()))
    return "too many nodes (" + std::to_string(problem.nodes.size()) + ")";
  if (problem.alwaysLiveBytes < 0)
    return "always-live bytes are negative (" +
           std::to_string(problem.alwaysLiveBytes) + ")";
  int64_t totalBytes = problem.alwaysLiveBytes;
  double totalCost = 0;
  for (int i = 0, e = problem.nodes.size(); i < e; ++i) {
    const Node &node = problem.nodes[i];
    if (node.bytes < 0)
      return quoted(node, i) + " has a negative size (" +
             std::to_string(node.bytes) + " bytes)";
    if (node.transientBytes < 0)
      return quoted(node, i) + " has a negative transient size (" +
             std::to_string(node.transientBytes) + " bytes)";
    if (!std::isfinite(node.cost) || node.cost < 0)
      return quoted(node, i) +
             " has a cost that is not a finite, non-negative number (" +
             numberText(node.cost) + ")";
    for (int input : node.inputs)
      if (input < 0 || input >= i)
        return quoted(node, i) + " has input " + std::to_string(input) +
               ", which is not an earlier node";
    if (__builtin_add_overflow(totalBytes, node.bytes, &totalBytes) ||
        __builtin_add_overflow(totalBytes, node.transientBytes, &totalBytes))
      return "the sizes sum past INT64_MAX bytes at " + quoted(node, i) + " (" +
             std::to_string(node.bytes) + " bytes)";
    totalCost += node.cost;
    if (!std::isfinite(totalCost))
      return "the costs sum past the largest double at " + quoted(node, i) +
             " (cost " + numberText(node.cost) + ")";
  }
  return "";
}

std::string checkTimeLimit(double seconds) {
  if (std::isnan(seconds) || seconds <= 0 || seconds > kMaxTimeLimitSeconds)
    return "the time limit must be a number of seconds in (0, " +
           numberText(kMaxTimeLimitSeconds) + "], got " + numberText(seconds);
  return "";
}

} // namespace remat::planner
