#include <gtest/gtest.h>

#include "lockout.hpp"

using namespace mmx::auth_service;
using namespace std::chrono_literals;

TEST(Lockout, BackoffDoublesFromTheThresholdUpToTheCap) {
  LockoutPolicy p{.threshold = 3, .base = 10s, .max = 60s};
  EXPECT_EQ(p.lock_for(0), 0s);
  EXPECT_EQ(p.lock_for(2), 0s);
  EXPECT_EQ(p.lock_for(3), 10s);
  EXPECT_EQ(p.lock_for(4), 20s);
  EXPECT_EQ(p.lock_for(5), 40s);
  EXPECT_EQ(p.lock_for(6), 60s);
  EXPECT_EQ(p.lock_for(1'000'000'000), 60s) << "no overflow";
}

TEST(Lockout, ZeroThresholdDisables) {
  LockoutPolicy p{.threshold = 0};
  EXPECT_EQ(p.lock_for(100), 0s);
}
