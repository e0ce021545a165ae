#include "stats.hpp"

#include "mmx/log/log.hpp"

namespace mmx::cache {
namespace {

metrics::Counter& requests(metrics::Registry& r, const std::string& name, std::string_view result) {
  return r.counter("mmx_cache_requests_total", "Cache lookups by result (error: the backend failed).",
                   {"cache", "result"})
      .with({name, result});
}

}  // namespace

Stats::Stats(metrics::Registry& r, const std::string& name, std::string_view backend,
             bool holds_entries)
    : name_(name),
      backend_(backend),
      hit_(requests(r, name, "hit")),
      miss_(requests(r, name, "miss")),
      error_(requests(r, name, "error")),
      invalidations_(r.counter("mmx_cache_invalidations_total", "Cache invalidations (writes).", {"cache"})
                         .with({name})),
      entries_(holds_entries ? &r.gauge("mmx_cache_entries", "Entries and tombstones held in process.",
                                        {"cache"}).with({name})
                             : nullptr) {}

void Stats::failed(std::string_view operation, std::string_view what) noexcept {
  error_.inc();
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto next = next_log_ns_.load(std::memory_order_relaxed);
  if (now < next || !next_log_ns_.compare_exchange_strong(
                        next, now + std::chrono::nanoseconds(log_interval).count())) {
    unlogged_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  try {
    log::warn("cache", "cache backend failed; serving from the database meanwhile",
              {{"cache", name_},
               {"backend", backend_},
               {"operation", operation},
               {"error", what},
               {"not_logged_since_last", unlogged_.exchange(0)}});
  } catch (...) {  // logging must not turn a miss into a failure
  }
}

}  // namespace mmx::cache
