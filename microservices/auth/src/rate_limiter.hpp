#pragma once
// Per-key token buckets (the key is a client IP and an endpoint group): `rate_per_minute`
// tokens flow in, at most `burst` are held, each request takes one. In memory and per
// process: with N replicas behind a load balancer a client gets up to N times the rate,
// which is what a per-IP limit in front of a password endpoint is for (slowing guessing),
// not a quota. Thread-safe (one mutex; the work under it is a hash lookup).
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mmx::auth_service {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // rate_per_minute 0 disables the limiter (every request allowed).
  RateLimiter(double rate_per_minute, double burst, std::size_t max_keys = 100'000);

  struct Decision {
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // when refused: until one token is back (>= 1 s)
  };
  Decision take(std::string_view key, Clock::time_point now = Clock::now());

  bool enabled() const { return rate_per_second_ > 0; }
  std::size_t size() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  double level(const Bucket& b, Clock::time_point now) const;
  void evict(Clock::time_point now);

  double rate_per_second_;
  double burst_;
  std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace mmx::auth_service
