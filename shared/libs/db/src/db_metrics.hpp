#pragma once
// The per-statement metrics of a Database: statement latency and pool wait histograms and
// statements by where they ran. Every statement updates them, inline SQLite statements on
// an io thread included, where the registry's atomics (three read-modify-writes per
// histogram observation, one more per counter: 25-40 ns a statement) are a few percent of
// a statement that takes 0.5-1.5 µs. Here each thread that runs statements writes its own
// shard with plain (relaxed) loads and stores, no locked instruction, and a scrape sums
// the shards. The gauges of the connection pool are rendered with them.
//
// Rendering is per metrics::Registry, not per Database: one collector writes each family's
// HELP and TYPE once, then a series per Database (a second `# TYPE` line for the same name
// would make Prometheus reject the whole scrape). A Database must not outlive its
// registry (it already may not: its other metrics live there).
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pool.hpp"

namespace mmx::metrics {
class Registry;
}

namespace mmx::db::detail {

class DbMetrics {
 public:
  using PoolStats = Pool::Stats;

  // Registers with the registry's renderer; `pool_stats` is read at each scrape.
  static std::shared_ptr<DbMetrics> create(metrics::Registry& registry, std::string db,
                                           std::function<PoolStats()> pool_stats);
  ~DbMetrics();

  // A statement that ran inline, and how long it took.
  void ran_inline(double seconds) noexcept {
    Shard& s = shard();
    bump(s.inline_);
    s.query.observe(seconds);
  }
  // A statement handed to a worker; its latency once it succeeded.
  void ran_on_worker() noexcept { bump(shard().worker); }
  void query(double seconds) noexcept { shard().query.observe(seconds); }
  void pool_wait(double seconds) noexcept { shard().wait.observe(seconds); }

  struct Hub;

 private:
  static constexpr std::array<double, 16> kBounds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0};  // metrics::default_latency_buckets()
  using Cell = std::atomic<std::uint64_t>;
  // Single writer: a relaxed load and store, which compile to plain moves.
  static void bump(Cell& c) noexcept {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  struct Histogram {
    std::array<Cell, kBounds.size() + 1> buckets{};  // per bucket, not cumulative
    Cell count{0};
    std::atomic<double> sum{0};
    void observe(double v) noexcept {
      std::size_t i = 0;
      while (i < kBounds.size() && v > kBounds[i]) ++i;
      bump(buckets[i]);
      bump(count);
      sum.store(sum.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    }
  };
  struct Shard {
    Histogram query, wait;
    Cell inline_{0}, worker{0};
  };
  struct Totals;

  DbMetrics(std::string db, std::function<PoolStats()> pool_stats);
  Shard& shard() noexcept {
    for (const auto& c : cache_) {
      if (c.id == id_) return *c.shard;
    }
    return slow_shard();
  }
  Shard& slow_shard();
  Totals totals() const;

  // The last few DbMetrics this thread wrote to, by id (ids are never reused, so an entry
  // of a destroyed DbMetrics never matches again).
  struct CacheEntry {
    std::uint64_t id = 0;
    Shard* shard = nullptr;
  };
  static thread_local std::array<CacheEntry, 4> cache_;
  static thread_local unsigned cache_next_;

  const std::uint64_t id_;
  const std::string db_;
  const std::function<PoolStats()> pool_stats_;
  mutable std::mutex mu_;  // shards_ itself; the cells are atomics
  std::vector<std::pair<std::thread::id, std::unique_ptr<Shard>>> shards_;
  std::shared_ptr<Hub> hub_;
};

}  // namespace mmx::db::detail
