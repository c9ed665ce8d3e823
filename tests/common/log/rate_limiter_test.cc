// The rate limiter as pure logic, on a clock the test moves.
#include "common/log/rate_limiter.h"

#include <gtest/gtest.h>

namespace rusta::log {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiterTest, AdmitsUpToTheLimitPerSecondAndCountsTheRest) {
  RateLimiter limiter(3);
  const auto t0 = RateLimiter::Clock::time_point() + std::chrono::hours(1);
  int64_t suppressed = -1;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limiter.Admit(t0 + milliseconds(i), &suppressed)) << i;
    EXPECT_EQ(suppressed, 0);
  }
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.Admit(t0 + milliseconds(500 + i), &suppressed));
  // Still inside the first second: refused.
  EXPECT_FALSE(limiter.Admit(t0 + milliseconds(999), &suppressed));
  // A new second: the first line admitted tells how many were dropped, the next ones do not.
  ASSERT_TRUE(limiter.Admit(t0 + milliseconds(1000), &suppressed));
  EXPECT_EQ(suppressed, 6);
  ASSERT_TRUE(limiter.Admit(t0 + milliseconds(1001), &suppressed));
  EXPECT_EQ(suppressed, 0);
}

TEST(RateLimiterTest, QuietPeriodsDoNotCarryOver) {
  RateLimiter limiter(1);
  const auto t0 = RateLimiter::Clock::time_point() + std::chrono::hours(1);
  int64_t suppressed = -1;
  ASSERT_TRUE(limiter.Admit(t0, &suppressed));
  EXPECT_FALSE(limiter.Admit(t0 + milliseconds(10), &suppressed));
  // Long after: one line again, carrying the one dropped long ago.
  ASSERT_TRUE(limiter.Admit(t0 + std::chrono::minutes(5), &suppressed));
  EXPECT_EQ(suppressed, 1);
  EXPECT_FALSE(limiter.Admit(t0 + std::chrono::minutes(5) + milliseconds(1), &suppressed));
}

}  // namespace
}  // namespace rusta::log
