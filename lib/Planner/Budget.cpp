//===- Budget.cpp - Memory budget syntax ---------------------------------===//

#include "remat/Planner/Budget.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace remat::planner {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string result(text);
  for (char &c : result)
    c = std::tolower(static_cast<unsigned char>(c));
  return result;
}

/// Bytes per unit, or 0 for an unknown unit.
int64_t unitScale(const std::string &unit) {
  struct UnitScale {
    const char *name;
    int64_t scale;
  };
  static const UnitScale units[] = {
      {"b", 1},           {"kb", 1000},           {"mb", 1000000},
      {"gb", 1000000000}, {"tb", 1000000000000},  {"kib", int64_t(1) << 10},
      {"mib", int64_t(1) << 20}, {"gib", int64_t(1) << 30},
      {"tib", int64_t(1) << 40}};
  for (const UnitScale &u : units)
    if (unit == u.name)
      return u.scale;
  return 0;
}

BudgetOrError fail(std::string_view text, const std::string &why) {
  return {std::nullopt, "invalid budget '" + std::string(text) + "': " + why +
                            " (expected bytes such as 768MiB, 2GB, 1073741824 "
                            "or a fraction in (0, 1] such as 0.6)"};
}

} // namespace

int64_t Budget::resolve(int64_t unplannedPeakBytes) const {
  if (kind == Kind::Bytes)
    return bytes;
  double scaled = std::floor(fraction * static_cast<double>(unplannedPeakBytes));
  // A fraction of at most 1 allows at most the peak; near INT64_MAX the
  // double rounds up past it (and past what int64 holds).
  if (scaled >= static_cast<double>(unplannedPeakBytes))
    return unplannedPeakBytes;
  return static_cast<int64_t>(scaled);
}

BudgetOrError parseBudget(std::string_view text) {
  std::string_view body = trim(text);
  size_t numberEnd = 0;
  bool sawPoint = false;
  while (numberEnd < body.size() &&
         (std::isdigit(static_cast<unsigned char>(body[numberEnd])) ||
          (body[numberEnd] == '.' && !sawPoint))) {
    sawPoint |= body[numberEnd] == '.';
    ++numberEnd;
  }
  std::string number(body.substr(0, numberEnd));
  if (number.empty() || number == ".")
    return fail(text, "no number");
  double value = std::strtod(number.c_str(), nullptr);
  std::string unit = lower(trim(body.substr(numberEnd)));

  if (unit.empty() && sawPoint) {
    if (!(value > 0 && value <= 1))
      return fail(text, "a fraction must be in (0, 1]");
    Budget budget;
    budget.kind = Budget::Kind::Fraction;
    budget.fraction = value;
    return {budget, ""};
  }
  int64_t scale = unit.empty() ? 1 : unitScale(unit);
  if (scale == 0)
    return fail(text, "unknown unit '" + unit + "'");
  // Integers are parsed exactly: byte counts past 2^53 must not round.
  int64_t bytes;
  if (sawPoint) {
    double scaled = std::floor(value * static_cast<double>(scale));
    // 2^63 is exactly representable; anything at or above it overflows.
    if (scaled >= 9223372036854775808.0)
      return fail(text, "too large");
    bytes = static_cast<int64_t>(scaled);
  } else {
    errno = 0;
    long long count = std::strtoll(number.c_str(), nullptr, 10);
    if (errno == ERANGE || count > std::numeric_limits<int64_t>::max() / scale)
      return fail(text, "too large");
    bytes = count * scale;
  }
  if (bytes <= 0)
    return fail(text, "must be positive");
  Budget budget;
  budget.bytes = bytes;
  return {budget, ""};
}

} // namespace remat::planner
