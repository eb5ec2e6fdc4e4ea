//===- Budget.h - Memory budget syntax, shared by CLI and pass ---*- C++ -*-===//
//
// A budget is bytes with an optional unit (`768MiB`, `2GB`, `1073741824`) or a
// fraction in (0, 1] of the unplanned peak (`0.6`). A number with a decimal
// point and no unit is a fraction; an integer without a unit is bytes, so `1`
// is one byte and `1.0` the whole unplanned peak.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_BUDGET_H
#define REMAT_PLANNER_BUDGET_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace remat::planner {

struct Budget {
  enum class Kind { Bytes, Fraction };
  Kind kind = Kind::Bytes;
  int64_t bytes = 0;
  double fraction = 1.0;

  /// Bytes this budget allows for a step whose unplanned peak is given;
  /// fractions round down so the result never exceeds what was asked for.
  int64_t resolve(int64_t unplannedPeakBytes) const;
};

struct BudgetOrError {
  std::optional<Budget> budget;
  /// Why the text is not a budget; empty on success.
  std::string error;
};

/// Units: B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024),
/// case-insensitive; surrounding whitespace is ignored.
BudgetOrError parseBudget(std::string_view text);

} // namespace remat::planner

#endif // REMAT_PLANNER_BUDGET_H
