#pragma once
// The Redis backend. A key is "mmx:<name>:<key>" holding "<version>:<payload>" (an entry) or
// "<version>!" (a tombstone), with PX ttl. put and invalidate are one Lua script, so the
// version comparison and the write are atomic on the server whichever process races us.
// Calls are blocking hiredis round trips on a small pool of connections, run on the worker
// pool. Failures never reach the caller: a get misses, a put is dropped, and a failed
// invalidation is remembered and re-sent before the next command that reaches the server.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mmx/cache/cache.hpp"
#include "mmx/redis/connection.hpp"
#include "mmx/redis/reconnect_gate.hpp"
#include "stats.hpp"

namespace mmx::cache {

class RedisCache final : public VersionedCache, public std::enable_shared_from_this<RedisCache> {
 public:
  RedisCache(const Options& options, redis::Config config, exec::WorkerPool& workers,
             metrics::Registry& metrics);

  // Connects and loads the script, retrying while the server is unreachable for up to
  // `wait`. Throws redis::Error (credentials, configuration, or still unreachable).
  void start(std::chrono::milliseconds wait);

  awaitable<std::optional<Entry>> get(std::string key) override;
  awaitable<void> put(std::string key, std::int64_t version, std::string payload) override;
  awaitable<void> invalidate(std::string key, std::int64_t version) override;
  std::string_view backend() const override { return "redis"; }

  // The blocking operations behind the coroutines above (worker threads only).
  std::optional<Entry> fetch(const std::string& key);
  void write(const std::string& key, std::int64_t version, std::string_view payload, bool tombstone);

 private:
  using ConnectionPtr = std::unique_ptr<redis::Connection>;
  class Lease;

  std::string key_of(std::string_view key) const { return prefix_ + std::string(key); }
  ConnectionPtr connect();
  ConnectionPtr acquire();
  void release(ConnectionPtr c);
  redis::Reply run_script(redis::Connection& c, const std::string& key, std::string_view version,
                          std::string_view payload, bool tombstone);
  void remember_failed_invalidation(const std::string& key, std::int64_t version);
  void retry_failed_invalidations(redis::Connection& c);

  redis::Config config_;
  exec::WorkerPool& workers_;
  std::string prefix_;
  std::chrono::milliseconds ttl_;
  std::string ttl_ms_;
  std::size_t max_connections_;
  std::size_t max_pending_;
  Stats stats_;
  std::string sha_;  // of the script, from SCRIPT LOAD at start

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<ConnectionPtr> idle_;
  std::size_t open_ = 0;  // idle + leased
  // After a failed connect, one caller at a time probes (paced by the gate); the others miss
  // at once instead of queueing on a dead server.
  bool down_ = false;
  bool probing_ = false;
  redis::ReconnectGate gate_;

  // Invalidations that did not reach the server, by full key. One older than the TTL is
  // dropped: whatever it was to hide has expired on the server too.
  struct Pending {
    std::int64_t version = 0;
    Clock::time_point failed_at;
  };
  static void merge(std::unordered_map<std::string, Pending>& into, const std::string& key, Pending p);
  std::mutex pending_mu_;
  std::unordered_map<std::string, Pending> pending_;
  std::atomic<std::size_t> pending_count_{0};
};

}  // namespace mmx::cache
