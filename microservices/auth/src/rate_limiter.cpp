#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace mmx::auth_service {

RateLimiter::RateLimiter(double rate_per_minute, double burst, std::size_t max_keys)
    : rate_per_second_(std::max(0.0, rate_per_minute) / 60.0),
      burst_(std::max(1.0, burst)),
      max_keys_(std::max<std::size_t>(1, max_keys)) {}

double RateLimiter::level(const Bucket& b, Clock::time_point now) const {
  double elapsed = std::chrono::duration<double>(now - b.updated).count();
  return std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_per_second_);
}

// A full bucket carries no information (a new one starts full): those go first. If every
// bucket is in use, the map is cleared rather than grown: an attacker spraying source
// addresses then resets limits, but cannot exhaust memory.
void RateLimiter::evict(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = level(it->second, now) >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= max_keys_) buckets_.clear();
}

RateLimiter::Decision RateLimiter::take(std::string_view key, Clock::time_point now) {
  if (!enabled()) return {};
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) evict(now);
    it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = level(b, now);
  b.updated = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  double wait = (1.0 - b.tokens) / rate_per_second_;
  auto secs = static_cast<std::int64_t>(std::ceil(wait));
  return {false, std::chrono::seconds(std::max<std::int64_t>(1, secs))};
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace mmx::auth_service
