#include <gtest/gtest.h>

#include "rate_limiter.hpp"

using namespace mmx::auth_service;
using namespace std::chrono_literals;

TEST(RateLimiter, BurstThenRefillAtTheRate) {
  RateLimiter rl(60, 3);  // one per second, three at once
  auto t = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.take("ip", t).allowed);
  auto refused = rl.take("ip", t);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 1s);
  EXPECT_TRUE(rl.take("other", t).allowed) << "buckets are per key";
  EXPECT_FALSE(rl.take("ip", t + 500ms).allowed);
  EXPECT_TRUE(rl.take("ip", t + 1100ms).allowed);
  EXPECT_TRUE(rl.take("ip", t + 10s).allowed);
  EXPECT_TRUE(rl.take("ip", t + 10s).allowed);
  EXPECT_TRUE(rl.take("ip", t + 10s).allowed);
  EXPECT_FALSE(rl.take("ip", t + 10s).allowed) << "refill never exceeds the burst";
}

TEST(RateLimiter, RetryAfterRoundsUpToWholeSeconds) {
  RateLimiter rl(6, 1);  // one per 10 s
  auto t = RateLimiter::Clock::time_point{} + 1h;
  EXPECT_TRUE(rl.take("ip", t).allowed);
  EXPECT_EQ(rl.take("ip", t + 2500ms).retry_after, 8s);
}

TEST(RateLimiter, ZeroRateDisables) {
  RateLimiter rl(0, 1);
  EXPECT_FALSE(rl.enabled());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(rl.take("ip").allowed);
  EXPECT_EQ(rl.size(), 0u);
}

TEST(RateLimiter, MemoryStaysBounded) {
  RateLimiter rl(60, 2, 100);
  auto t = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 10'000; ++i) rl.take("ip" + std::to_string(i), t);
  EXPECT_LE(rl.size(), 100u);
  // Idle (full) buckets are dropped first; the busy one keeps its state.
  RateLimiter r2(60, 2, 3);
  r2.take("busy", t);
  r2.take("busy", t);
  r2.take("a", t + 5s);
  r2.take("b", t + 5s);
  EXPECT_FALSE(r2.take("busy", t).allowed);
  r2.take("c", t + 10s);  // "a" and "b" are full again by now: evicted, "busy" is not
  EXPECT_LE(r2.size(), 3u);
}
