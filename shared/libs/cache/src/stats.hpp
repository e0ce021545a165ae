#pragma once
// What both backends report: mmx_cache_requests_total{cache,result}, the invalidation count,
// and backend failures, logged at most once per interval with how many were not logged.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "mmx/metrics/metrics.hpp"

namespace mmx::cache {

class Stats {
 public:
  // `holds_entries`: the backend counts what it holds (memory) in mmx_cache_entries.
  Stats(metrics::Registry& registry, const std::string& name, std::string_view backend,
        bool holds_entries);

  void hit() noexcept { hit_.inc(); }
  void miss() noexcept { miss_.inc(); }
  void invalidation() noexcept { invalidations_.inc(); }
  // Counts result="error" and logs `what` unless a failure was logged in the last interval.
  void failed(std::string_view operation, std::string_view what) noexcept;

  const std::string& name() const { return name_; }
  void entries_added(double n) noexcept { entries_->add(n); }

 private:
  static constexpr std::chrono::seconds log_interval{10};
  std::string name_;
  std::string backend_;
  metrics::Counter& hit_;
  metrics::Counter& miss_;
  metrics::Counter& error_;
  metrics::Counter& invalidations_;
  metrics::Gauge* entries_;
  std::atomic<std::int64_t> next_log_ns_{0};
  std::atomic<std::uint64_t> unlogged_{0};
};

}  // namespace mmx::cache
