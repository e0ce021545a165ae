#pragma once
// A read cache that a write can never be undone by: every entry carries the version of the
// data it holds, and invalidate() leaves a tombstone, so a reader that fetched version 1
// before a writer committed version 2 cannot put version 1 back afterwards. In process (a
// sharded LRU) by default, in Redis when MMX_CACHE_URL=redis://... is set. See README.md.
//
//   // declare_settings:  cache::declare_cache_settings(registry);
//   // init:              auto products = cache::open_cache(ctx, "products");
//   if (auto hit = co_await products->get(id)) return hit->payload;
//   auto row = co_await db->...;                                  // version v
//   co_await products->put(id, v, json);
//   // on every write that commits version v (update or delete):
//   co_await products->invalidate(id, v);
//
// Versions must grow with every write to a key (a row version column); the cache never
// fails its caller: a backend error is a miss, counted and logged (rate-limited).
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mmx/config/settings.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "mmx/metrics/metrics.hpp"
#include "mmx/module/module.hpp"

namespace mmx::cache {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct Entry {
  std::int64_t version = 0;
  std::string payload;
};

class VersionedCache {
 public:
  virtual ~VersionedCache() = default;
  // A live entry, or nullopt (absent, expired, tombstoned, or the backend failed: counted as
  // result="error", logged rate-limited, never thrown).
  virtual awaitable<std::optional<Entry>> get(std::string key) = 0;
  // Stores payload as `version` unless the key holds a newer version (live or tombstone), or
  // this very version already. A tombstone of `version` itself does not refuse it: that is the
  // version the invalidating write committed, so a reader that read it may cache it.
  virtual awaitable<void> put(std::string key, std::int64_t version, std::string payload) = 0;
  // The key changed (or was deleted) at `version`: later gets miss until a put of >= version;
  // older puts are refused. Whatever the key holds at a newer version stays.
  virtual awaitable<void> invalidate(std::string key, std::int64_t version) = 0;
  virtual std::string_view backend() const = 0;  // "memory" or "redis"
};

// MMX_CACHE_URL, MMX_CACHE_ENTRIES, MMX_CACHE_TTL, MMX_CACHE_CONNECT_WAIT (group "cache").
// A module that opens a cache calls it from its declare_settings; declaring twice is fine.
void declare_cache_settings(config::SettingRegistry& registry);

// Reads the settings above. `name` namespaces keys ("mmx:<name>:<key>" in Redis) and labels
// the metrics (cache="<name>"). Throws std::runtime_error naming MMX_CACHE_URL (password
// redacted) for a malformed URL, refused credentials, or a Redis still unreachable after
// MMX_CACHE_CONNECT_WAIT. In `micromax openapi` (ctx.docs_only) it never connects: memory.
std::shared_ptr<VersionedCache> open_cache(module::Context& ctx, std::string_view name);

// The same without a module context (tests, tools).
using Clock = std::chrono::steady_clock;
struct Options {
  std::string name = "default";
  std::string url;                     // "" = in-process LRU; redis://[user:pass@]host:port[/db]
  std::size_t max_entries = 10000;     // memory: entries + tombstones
  std::chrono::milliseconds ttl{300'000};
  std::chrono::milliseconds connect_wait{10'000};  // redis: start-up retries while unreachable
  std::size_t connections = 0;         // redis: pooled connections; 0 = one per worker, max 8
  std::size_t pending_invalidations = 10'000;  // redis: failed invalidations kept for retry
  std::function<Clock::time_point()> clock;     // memory: for tests; default Clock::now
};
std::shared_ptr<VersionedCache> make_cache(const Options& options, exec::WorkerPool& workers,
                                           metrics::Registry& metrics);

}  // namespace mmx::cache
