#pragma once
// Verified tokens, so that the same token is verified (RSA, claims) only once while it is
// valid. Keyed by the token's SHA-256 (never the token itself: a memory dump holds no
// usable bearer token); an entry dies at the token's exp. Bounded: when a shard is full,
// expired entries go first, then the entry closest to expiry. Sharded, one mutex per shard,
// so io threads rarely contend.
#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "mmx/auth/principal.hpp"

namespace mmx::auth {

class VerifiedTokenCache {
 public:
  using Key = std::array<unsigned char, 32>;  // SHA-256 of the token
  using Clock = std::chrono::system_clock;

  // max_entries 0 disables the cache (find always misses, insert does nothing).
  explicit VerifiedTokenCache(std::size_t max_entries, std::size_t shards = 16);
  ~VerifiedTokenCache();
  VerifiedTokenCache(const VerifiedTokenCache&) = delete;
  VerifiedTokenCache& operator=(const VerifiedTokenCache&) = delete;

  static Key key(std::string_view token);

  // The principal cached for `key` when its token has not expired at `now`; else nullptr
  // (an expired entry is removed).
  std::shared_ptr<const Principal> find(const Key& key, Clock::time_point now) const;
  // Caches until principal->expires_at; nothing when that is not after `now`.
  void insert(const Key& key, std::shared_ptr<const Principal> principal, Clock::time_point now);

  std::size_t size() const;
  std::size_t capacity() const { return max_entries_; }
  void clear();

 private:
  struct Shard;
  std::size_t max_entries_;
  std::size_t per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace mmx::auth
