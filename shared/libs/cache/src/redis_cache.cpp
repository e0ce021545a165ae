#include "redis_cache.hpp"

#include <charconv>
#include <thread>

#include "mmx/exec/offload.hpp"
#include "mmx/log/log.hpp"

namespace mmx::cache {
namespace {

using Kind = redis::Error::Kind;

// KEYS[1] key; ARGV: version, ttl ms, "e" (entry) or "t" (tombstone), payload. Refuses a
// write when the key holds a newer version, or the same version unless it is an entry over
// a tombstone of that version (see VersionedCache::put). Returns 1 when it wrote.
// Lua numbers are doubles: versions are exact up to 2^53.
constexpr std::string_view script = R"lua(
local new = tonumber(ARGV[1])
local tomb = ARGV[3] == 't'
local cur = redis.call('GET', KEYS[1])
if cur then
  local v, kind = string.match(cur, '^(%-?%d+)([:!])')
  if v then
    v = tonumber(v)
    if v > new or (v == new and (kind == ':' or tomb)) then return 0 end
  end
end
if tomb then
  redis.call('SET', KEYS[1], ARGV[1] .. '!', 'PX', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[4], 'PX', ARGV[2])
end
return 1
)lua";

}  // namespace

// A pooled connection for one call; returned (or dropped if broken) when it goes.
class RedisCache::Lease {
 public:
  explicit Lease(RedisCache& cache) : cache_(cache), conn_(cache.acquire()) {}
  ~Lease() { cache_.release(std::move(conn_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  redis::Connection& operator*() { return *conn_; }
  redis::Connection* operator->() { return conn_.get(); }

 private:
  RedisCache& cache_;
  ConnectionPtr conn_;
};

RedisCache::RedisCache(const Options& o, redis::Config config, exec::WorkerPool& workers,
                       metrics::Registry& metrics)
    : config_(std::move(config)),
      workers_(workers),
      prefix_("mmx:" + o.name + ":"),
      ttl_(std::max(o.ttl, std::chrono::milliseconds(1))),
      ttl_ms_(std::to_string(ttl_.count())),
      max_connections_(o.connections ? o.connections : std::clamp<std::size_t>(workers.threads(), 1, 8)),
      max_pending_(o.pending_invalidations),
      stats_(metrics, o.name, "redis", false) {}

void RedisCache::start(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  auto pause = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    try {
      auto c = std::make_unique<redis::Connection>(config_);
      redis::Reply r = c->checked({"SCRIPT", "LOAD", script}, "loading the cache script");
      sha_ = redis::text(r.get());
      std::lock_guard lock(pool_mu_);
      ++open_;
      idle_.push_back(std::move(c));
      return;
    } catch (const redis::Error& e) {
      if (e.kind() != Kind::unavailable || Clock::now() + pause > deadline) throw;
      if (attempt == 1)
        log::warn("cache", "cache Redis not reachable yet, waiting",
                  {{"cache", stats_.name()}, {"url", config_.redacted_url}, {"error", e.what()}});
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    }
  }
}

RedisCache::ConnectionPtr RedisCache::acquire() {
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_connections_; });
    if (!idle_.empty()) {
      ConnectionPtr c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    if (down_ && (probing_ || !gate_.ready()))
      throw redis::Error(Kind::unavailable, "Redis at " + config_.redacted_url +
                                                ": unreachable, waiting to reconnect");
    probing_ = down_;
    ++open_;
  }
  try {
    auto c = std::make_unique<redis::Connection>(config_);
    std::lock_guard lock(pool_mu_);
    if (down_) log::info("cache", "cache Redis reachable again", {{"cache", stats_.name()}});
    down_ = probing_ = false;
    gate_.succeeded();
    return c;
  } catch (...) {
    std::lock_guard lock(pool_mu_);
    --open_;
    down_ = true;
    probing_ = false;
    gate_.failed();
    pool_cv_.notify_one();
    throw;
  }
}

void RedisCache::release(ConnectionPtr c) {
  {
    std::lock_guard lock(pool_mu_);
    if (c->broken()) --open_;  // a transport error: the next caller connects afresh
    else idle_.push_back(std::move(c));
  }
  pool_cv_.notify_one();
}

redis::Reply RedisCache::run_script(redis::Connection& c, const std::string& key, std::string_view version,
                                    std::string_view payload, bool tombstone) {
  const std::string_view kind = tombstone ? "t" : "e";
  redis::Reply r = c.command({"EVALSHA", sha_, "1", key, version, ttl_ms_, kind, payload});
  // A restarted server (or SCRIPT FLUSH) lost the script: EVAL runs it and caches it again.
  if (redis::is_error(r.get()) && redis::text(r.get()).starts_with("NOSCRIPT"))
    r = c.command({"EVAL", script, "1", key, version, ttl_ms_, kind, payload});
  if (redis::is_error(r.get())) throw c.error_for(*r, tombstone ? "invalidate" : "put", Kind::rejected);
  return r;
}

std::optional<Entry> RedisCache::fetch(const std::string& key) {
  Lease c(*this);
  retry_failed_invalidations(*c);
  if (pending_count_.load(std::memory_order_relaxed) != 0) {
    // An invalidation of this key the server still refuses: what it holds may be older.
    std::lock_guard lock(pending_mu_);
    if (pending_.contains(key)) return std::nullopt;
  }
  redis::Reply r = c->command({"GET", key});
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  if (redis::is_error(r.get())) throw c->error_for(*r, "GET", Kind::rejected);
  std::string_view value = redis::text(r.get());
  std::int64_t version = 0;
  auto [rest, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (ec != std::errc{} || rest == value.data() + value.size() || (*rest != ':' && *rest != '!'))
    throw c->error(Kind::rejected, "GET: '" + key + "' does not hold a cache value");
  if (*rest == '!') return std::nullopt;  // a tombstone
  return Entry{version, std::string(rest + 1, value.data() + value.size())};
}

void RedisCache::write(const std::string& key, std::int64_t version, std::string_view payload,
                       bool tombstone) {
  Lease c(*this);
  retry_failed_invalidations(*c);
  run_script(*c, key, std::to_string(version), payload, tombstone);
}

void RedisCache::merge(std::unordered_map<std::string, Pending>& into, const std::string& key, Pending p) {
  auto [it, added] = into.try_emplace(key, p);
  if (!added && it->second.version < p.version) it->second = p;
}

void RedisCache::remember_failed_invalidation(const std::string& key, std::int64_t version) {
  bool dropped = false;
  {
    std::lock_guard lock(pending_mu_);
    if (pending_.size() < max_pending_ || pending_.contains(key)) merge(pending_, key, {version, Clock::now()});
    else dropped = true;
    pending_count_.store(pending_.size(), std::memory_order_relaxed);
  }
  if (dropped)
    stats_.failed("invalidate", "too many failed invalidations kept for retry; '" + key +
                                    "' may be served stale until its TTL");
}

// Before anything else reaches the server, the invalidations it missed: in this process a
// read after a write then never sees the old version, even across an outage of Redis.
void RedisCache::retry_failed_invalidations(redis::Connection& c) {
  if (pending_count_.load(std::memory_order_relaxed) == 0) return;
  std::unordered_map<std::string, Pending> batch, failed;
  {
    std::lock_guard lock(pending_mu_);
    batch.swap(pending_);
    pending_count_.store(0, std::memory_order_relaxed);
  }
  const auto stale = Clock::now() - ttl_;
  std::exception_ptr lost;
  for (auto& [key, p] : batch) {
    if (p.failed_at < stale) continue;
    if (lost) {
      failed.emplace(key, p);
      continue;
    }
    try {
      run_script(c, key, std::to_string(p.version), {}, true);
    } catch (const redis::Error&) {
      failed.emplace(key, p);  // refused (NOPERM, OOM...): kept until it goes through or ages out
      if (c.broken()) lost = std::current_exception();
    }
  }
  if (!failed.empty()) {
    std::lock_guard lock(pending_mu_);
    for (auto& [key, p] : failed) merge(pending_, key, p);
    pending_count_.store(pending_.size(), std::memory_order_relaxed);
  }
  if (lost) std::rethrow_exception(lost);
}

// The jobs capture by reference, as everywhere offload is used: the coroutine frame outlives
// the job (g++ 12 destroys a by-value capture of a temporary lambda twice in a co_await).
awaitable<std::optional<Entry>> RedisCache::get(std::string key) {
  const auto self = shared_from_this();
  const std::string k = key_of(key);
  try {
    auto entry = co_await exec::offload(workers_, [&] { return fetch(k); });
    if (entry) stats_.hit();
    else stats_.miss();
    co_return entry;
  } catch (const std::exception& e) {
    stats_.failed("get", e.what());
  }
  co_return std::nullopt;
}

awaitable<void> RedisCache::put(std::string key, std::int64_t version, std::string payload) {
  const auto self = shared_from_this();
  const std::string k = key_of(key);
  try {
    co_await exec::offload(workers_, [&] { write(k, version, payload, false); });
  } catch (const std::exception& e) {
    stats_.failed("put", e.what());  // only a lost chance to cache
  }
}

awaitable<void> RedisCache::invalidate(std::string key, std::int64_t version) {
  const auto self = shared_from_this();
  const std::string k = key_of(key);
  stats_.invalidation();
  try {
    co_await exec::offload(workers_, [&] { write(k, version, {}, true); });
  } catch (const std::exception& e) {
    stats_.failed("invalidate", e.what());
    remember_failed_invalidation(k, version);
  }
}

}  // namespace mmx::cache
