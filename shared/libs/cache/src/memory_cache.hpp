#pragma once
// The in-process backend: a bounded LRU of entries and tombstones, sharded by key hash so
// io threads rarely meet on a lock. Everything runs inline on the caller's thread (a
// lookup is a hash, a lock and a copy of the payload: no worker-pool hop).
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mmx/cache/cache.hpp"
#include "stats.hpp"

namespace mmx::cache {

class MemoryCache final : public VersionedCache {
 public:
  MemoryCache(const Options& options, metrics::Registry& metrics);
  ~MemoryCache() override;

  awaitable<std::optional<Entry>> get(std::string key) override;
  awaitable<void> put(std::string key, std::int64_t version, std::string payload) override;
  awaitable<void> invalidate(std::string key, std::int64_t version) override;
  std::string_view backend() const override { return "memory"; }

  // The synchronous operations behind the coroutines above.
  std::optional<Entry> lookup(std::string_view key);
  void store(std::string key, std::int64_t version, std::string payload, bool tombstone);

 private:
  struct Item {
    std::string key;
    std::int64_t version = 0;
    std::string payload;
    bool tombstone = false;
    Clock::time_point expires;
  };
  // A shard per cache line, so two io threads on two shards never share one.
  struct alignas(64) Shard {
    std::mutex mu;
    std::list<Item> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<Item>::iterator> index;  // views into Item::key
  };

  Shard& shard_of(std::string_view key);
  Clock::time_point now() const { return clock_ ? clock_() : Clock::now(); }
  void erase(Shard& shard, std::list<Item>::iterator it);

  std::size_t shard_mask_;
  std::unique_ptr<Shard[]> shards_;
  std::size_t per_shard_;
  std::chrono::milliseconds ttl_;
  std::function<Clock::time_point()> clock_;
  Stats stats_;
};

}  // namespace mmx::cache
