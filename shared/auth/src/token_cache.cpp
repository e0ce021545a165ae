#include "mmx/auth/token_cache.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "mmx/auth/secrets.hpp"

namespace mmx::auth {

namespace {

// The key is already a uniform hash: its first bytes are a fine bucket hash.
struct KeyHash {
  std::size_t operator()(const VerifiedTokenCache::Key& k) const noexcept {
    std::size_t h;
    std::memcpy(&h, k.data(), sizeof h);
    return h;
  }
};

}  // namespace

struct VerifiedTokenCache::Shard {
  struct Entry {
    std::shared_ptr<const Principal> principal;
    Clock::time_point expires_at;
  };
  mutable std::mutex mu;
  std::unordered_map<Key, Entry, KeyHash> map;
};

VerifiedTokenCache::VerifiedTokenCache(std::size_t max_entries, std::size_t shards)
    : max_entries_(max_entries) {
  shards = std::max<std::size_t>(1, std::min(shards, std::max<std::size_t>(1, max_entries)));
  per_shard_ = max_entries == 0 ? 0 : (max_entries + shards - 1) / shards;
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

VerifiedTokenCache::~VerifiedTokenCache() = default;

VerifiedTokenCache::Key VerifiedTokenCache::key(std::string_view token) {
  unsigned char d[32];
  sha256_into(token, d);
  Key k;
  std::memcpy(k.data(), d, k.size());
  return k;
}

std::shared_ptr<const Principal> VerifiedTokenCache::find(const Key& key,
                                                          Clock::time_point now) const {
  if (max_entries_ == 0) return nullptr;
  Shard& s = *shards_[key[31] % shards_.size()];
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return nullptr;
  if (it->second.expires_at <= now) {
    s.map.erase(it);
    return nullptr;
  }
  return it->second.principal;
}

void VerifiedTokenCache::insert(const Key& key, std::shared_ptr<const Principal> principal,
                                Clock::time_point now) {
  if (max_entries_ == 0 || !principal || principal->expires_at <= now) return;
  Shard& s = *shards_[key[31] % shards_.size()];
  const auto expires = principal->expires_at;
  std::lock_guard lock(s.mu);
  if (s.map.size() >= per_shard_ && !s.map.contains(key)) {
    // Full: drop what has expired; if nothing has, the entry that expires first.
    std::erase_if(s.map, [now](const auto& kv) { return kv.second.expires_at <= now; });
    if (s.map.size() >= per_shard_) {
      auto victim = std::min_element(s.map.begin(), s.map.end(), [](const auto& a, const auto& b) {
        return a.second.expires_at < b.second.expires_at;
      });
      s.map.erase(victim);
    }
  }
  s.map.insert_or_assign(key, Shard::Entry{std::move(principal), expires});
}

std::size_t VerifiedTokenCache::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->map.size();
  }
  return n;
}

void VerifiedTokenCache::clear() {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    s->map.clear();
  }
}

}  // namespace mmx::auth
