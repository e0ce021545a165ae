#include "memory_cache.hpp"

#include <algorithm>
#include <bit>
#include <functional>

namespace mmx::cache {
namespace {

// Enough shards that io threads rarely share one, few enough that each still holds a
// meaningful LRU (the bound is per shard: max_entries / shards each). A small cache is one
// shard, so its LRU order is exact.
std::size_t shard_count(std::size_t max_entries) {
  constexpr std::size_t max_shards = 16, min_per_shard = 64;
  return std::clamp<std::size_t>(std::bit_floor(std::max<std::size_t>(max_entries / min_per_shard, 1)),
                                 1, max_shards);
}

}  // namespace

MemoryCache::MemoryCache(const Options& o, metrics::Registry& metrics)
    : shard_mask_(shard_count(o.max_entries) - 1),
      shards_(std::make_unique<Shard[]>(shard_mask_ + 1)),
      per_shard_(std::max<std::size_t>(o.max_entries / (shard_mask_ + 1), 1)),
      ttl_(o.ttl),
      clock_(o.clock),
      stats_(metrics, o.name, "memory", true) {}

MemoryCache::~MemoryCache() {
  std::size_t held = 0;
  for (std::size_t i = 0; i <= shard_mask_; ++i) held += shards_[i].lru.size();
  stats_.entries_added(-static_cast<double>(held));
}

MemoryCache::Shard& MemoryCache::shard_of(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) & shard_mask_];
}

void MemoryCache::erase(Shard& shard, std::list<Item>::iterator it) {
  shard.index.erase(it->key);
  shard.lru.erase(it);
  stats_.entries_added(-1);
}

std::optional<Entry> MemoryCache::lookup(std::string_view key) {
  Shard& s = shard_of(key);
  std::optional<Entry> out;
  {
    std::lock_guard lock(s.mu);
    auto found = s.index.find(key);
    if (found != s.index.end()) {
      auto it = found->second;
      if (it->expires <= now()) {
        erase(s, it);
      } else if (!it->tombstone) {
        s.lru.splice(s.lru.begin(), s.lru, it);
        out.emplace(Entry{it->version, it->payload});
      }
    }
  }
  if (out) stats_.hit();
  else stats_.miss();
  return out;
}

void MemoryCache::store(std::string key, std::int64_t version, std::string payload, bool tombstone) {
  Shard& s = shard_of(key);
  std::string released;  // an old payload is freed after the lock
  std::lock_guard lock(s.mu);
  const auto t = now();
  auto found = s.index.find(key);
  if (found != s.index.end()) {
    auto it = found->second;
    // What an expired item said no longer counts: its key is absent.
    if (it->expires > t) {
      if (it->version > version) return;  // newer data or a newer change: keep it
      // The same version again: a put is a no-op; so is an invalidation of data that is
      // already that version (it was read after the write committed). Only a put over a
      // tombstone of its own version goes through.
      if (it->version == version && (!it->tombstone || tombstone)) return;
    }
    it->version = version;
    released.swap(it->payload);
    it->payload = std::move(payload);
    it->tombstone = tombstone;
    it->expires = t + ttl_;
    s.lru.splice(s.lru.begin(), s.lru, it);
    return;
  }
  if (s.lru.size() >= per_shard_) erase(s, std::prev(s.lru.end()));
  s.lru.push_front(Item{std::move(key), version, std::move(payload), tombstone, t + ttl_});
  s.index.emplace(s.lru.front().key, s.lru.begin());
  stats_.entries_added(1);
}

awaitable<std::optional<Entry>> MemoryCache::get(std::string key) { co_return lookup(key); }

awaitable<void> MemoryCache::put(std::string key, std::int64_t version, std::string payload) {
  store(std::move(key), version, std::move(payload), false);
  co_return;
}

awaitable<void> MemoryCache::invalidate(std::string key, std::int64_t version) {
  stats_.invalidation();
  store(std::move(key), version, {}, true);
  co_return;
}

}  // namespace mmx::cache
