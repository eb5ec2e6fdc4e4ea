//===- BudgetTest.cpp - Budget syntax --------------------------------------===//

#include "remat/Planner/Budget.h"

#include <gtest/gtest.h>

#include <limits>

using namespace remat::planner;

namespace {

int64_t bytesOf(const char *text) {
  BudgetOrError parsed = parseBudget(text);
  EXPECT_TRUE(parsed.budget) << text << ": " << parsed.error;
  EXPECT_EQ(parsed.budget->kind, Budget::Kind::Bytes) << text;
  return parsed.budget->bytes;
}

TEST(Budget, BytesWithUnits) {
  EXPECT_EQ(bytesOf("1073741824"), 1073741824);
  EXPECT_EQ(bytesOf("512MiB"), 512LL << 20);
  EXPECT_EQ(bytesOf("768MiB"), 768LL << 20);
  EXPECT_EQ(bytesOf("2GB"), 2000000000);
  EXPECT_EQ(bytesOf("3KiB"), 3072);
  EXPECT_EQ(bytesOf("5KB"), 5000);
  EXPECT_EQ(bytesOf("7MB"), 7000000);
  EXPECT_EQ(bytesOf("1GiB"), 1LL << 30);
  EXPECT_EQ(bytesOf("42B"), 42);
  EXPECT_EQ(bytesOf(" 1.5 GiB "), 3LL << 29);
  EXPECT_EQ(bytesOf("1"), 1);
  EXPECT_EQ(bytesOf("9007199254740993"), 9007199254740993LL);
}

TEST(Budget, Fractions) {
  BudgetOrError parsed = parseBudget("0.6");
  ASSERT_TRUE(parsed.budget) << parsed.error;
  EXPECT_EQ(parsed.budget->kind, Budget::Kind::Fraction);
  EXPECT_DOUBLE_EQ(parsed.budget->fraction, 0.6);
  EXPECT_EQ(parsed.budget->resolve(1000), 600);
  EXPECT_EQ(parseBudget("1.0").budget->resolve(12345), 12345);
  // Rounds down: a fraction never allows more than asked for.
  EXPECT_EQ(parseBudget("0.5").budget->resolve(3), 1);
}

TEST(Budget, FractionsOfHugePeaksStayInRange) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(parseBudget("1.0").budget->resolve(max), max);
  const int64_t half = parseBudget("0.5").budget->resolve(max);
  EXPECT_GT(half, 0);
  EXPECT_LE(half, max / 2 + 1);
}

TEST(Budget, BytesIgnoreThePeak) {
  EXPECT_EQ(parseBudget("2KiB").budget->resolve(1), 2048);
}

TEST(Budget, Errors) {
  for (const char *bad : {"", "MiB", "0.0", "1.5", "2.", "-1", "0", "12XB",
                          "1e9", "99999999999999999999", "9000000000GiB"}) {
    BudgetOrError parsed = parseBudget(bad);
    EXPECT_FALSE(parsed.budget) << "'" << bad << "' parsed";
    EXPECT_NE(parsed.error.find("invalid budget"), std::string::npos) << bad;
  }
}

} // namespace
