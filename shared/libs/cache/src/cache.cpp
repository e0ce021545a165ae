#include "mmx/cache/cache.hpp"

#include "memory_cache.hpp"
#include "mmx/log/log.hpp"
#include "mmx/redis/server_url.hpp"
#include "redis_cache.hpp"

namespace mmx::cache {
namespace {

config::Setting setting(std::string name, config::Kind kind, std::string def, std::string help,
                        std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX) {
  return config::make_setting(std::move(name), kind, std::move(def), std::move(help), "cache", min, max);
}

}  // namespace

void declare_cache_settings(config::SettingRegistry& r) {
  auto url = setting("MMX_CACHE_URL", config::Kind::string, "",
                     "Read cache: empty for an in-process LRU per replica, or "
                     "redis://[user:password@]host:port[/db] to share one cache between replicas.");
  url.secret = true;
  r.add(url);
  r.add(setting("MMX_CACHE_ENTRIES", config::Kind::integer, "10000",
                "In-process cache: entries (and tombstones) kept per cache before the least "
                "recently used go.", 1, 100'000'000));
  r.add(setting("MMX_CACHE_TTL", config::Kind::duration, "300s",
                "How long a cached entry (or an invalidation's tombstone) lives; also bounds how "
                "long an invalidation lost to a Redis outage can go unnoticed by other replicas.", 1));
  r.add(setting("MMX_CACHE_CONNECT_WAIT", config::Kind::duration, "10s",
                "How long start-up waits for a cache Redis that is not reachable yet.", 0));
}

std::shared_ptr<VersionedCache> make_cache(const Options& o, exec::WorkerPool& workers,
                                           metrics::Registry& metrics) {
  if (o.url.empty()) return std::make_shared<MemoryCache>(o, metrics);
  try {
    redis::ServerUrl u = redis::parse_server_url(o.url, 6379, "MMX_CACHE_URL");
    redis::Config config = redis::config_from_url(u);
    u.reject_unknown_options(redis::common_options);
    auto cache = std::make_shared<RedisCache>(o, std::move(config), workers, metrics);
    try {
      cache->start(o.connect_wait);
    } catch (const redis::Error& e) {
      throw redis::Error(e.kind(), "MMX_CACHE_URL: " + std::string(e.what()));
    }
    return cache;
  } catch (const redis::Error& e) {
    throw std::runtime_error(e.what());
  }
}

std::shared_ptr<VersionedCache> open_cache(module::Context& ctx, std::string_view name) {
  Options o;
  o.name = name;
  // `micromax openapi` runs no handler: no server to reach.
  o.url = ctx.docs_only ? "" : ctx.config.string("MMX_CACHE_URL");
  o.max_entries = static_cast<std::size_t>(ctx.config.integer("MMX_CACHE_ENTRIES"));
  o.ttl = ctx.config.duration("MMX_CACHE_TTL");
  o.connect_wait = ctx.config.duration("MMX_CACHE_CONNECT_WAIT");
  auto cache = make_cache(o, ctx.workers, ctx.metrics);
  log::info("cache", "cache opened",
            {{"cache", o.name}, {"backend", cache->backend()}, {"ttl_ms", o.ttl.count()}});
  return cache;
}

}  // namespace mmx::cache
