#include "db_metrics.hpp"

#include <charconv>
#include <map>

#include "mmx/metrics/metrics.hpp"

namespace mmx::db::detail {

thread_local std::array<DbMetrics::CacheEntry, 4> DbMetrics::cache_{};
thread_local unsigned DbMetrics::cache_next_ = 0;

namespace {
std::atomic<std::uint64_t> g_next_id{0};
}  // namespace

// The Databases of one registry, rendered by one collector.
struct DbMetrics::Hub {
  std::mutex mu;
  std::vector<DbMetrics*> members;  // in creation order
  void render(std::string& out);
};

struct DbMetrics::Totals {
  struct H {
    std::array<std::uint64_t, kBounds.size() + 1> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  } query, wait;
  std::uint64_t ran_inline = 0, ran_on_worker = 0;
};

std::shared_ptr<DbMetrics> DbMetrics::create(metrics::Registry& registry, std::string db,
                                             std::function<PoolStats()> pool_stats) {
  // One hub per registry, owned by the collector it added (so it lives as long as the
  // registry); looked up by the registry's address while it is alive.
  static std::mutex hubs_mu;
  static std::map<const metrics::Registry*, std::weak_ptr<Hub>> hubs;
  std::shared_ptr<Hub> hub;
  {
    std::lock_guard lock(hubs_mu);
    auto& slot = hubs[&registry];
    hub = slot.lock();
    if (!hub) {
      hub = std::make_shared<Hub>();
      slot = hub;
      registry.add_collector([h = hub](std::string& out) { h->render(out); });
    }
  }
  std::shared_ptr<DbMetrics> m(new DbMetrics(std::move(db), std::move(pool_stats)));
  m->hub_ = hub;
  std::lock_guard lock(hub->mu);
  hub->members.push_back(m.get());
  return m;
}

DbMetrics::DbMetrics(std::string db, std::function<PoolStats()> pool_stats)
    : id_(++g_next_id), db_(std::move(db)), pool_stats_(std::move(pool_stats)) {}

DbMetrics::~DbMetrics() {
  std::lock_guard lock(hub_->mu);
  std::erase(hub_->members, this);
}

DbMetrics::Shard& DbMetrics::slow_shard() {
  const auto self = std::this_thread::get_id();
  Shard* found = nullptr;
  {
    std::lock_guard lock(mu_);
    for (auto& [thread, shard] : shards_) {
      if (thread == self) found = shard.get();
    }
    if (!found) found = shards_.emplace_back(self, std::make_unique<Shard>()).second.get();
  }
  cache_[cache_next_++ % cache_.size()] = {id_, found};
  return *found;
}

DbMetrics::Totals DbMetrics::totals() const {
  Totals t;
  auto add = [](Totals::H& to, const Histogram& from) {
    for (std::size_t i = 0; i < to.buckets.size(); ++i)
      to.buckets[i] += from.buckets[i].load(std::memory_order_relaxed);
    to.count += from.count.load(std::memory_order_relaxed);
    to.sum += from.sum.load(std::memory_order_relaxed);
  };
  std::lock_guard lock(mu_);
  for (const auto& [thread, s] : shards_) {
    add(t.query, s->query);
    add(t.wait, s->wait);
    t.ran_inline += s->inline_.load(std::memory_order_relaxed);
    t.ran_on_worker += s->worker.load(std::memory_order_relaxed);
  }
  return t;
}

namespace {

std::string bound_text(double b) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, b);
  return std::string(buf, r.ptr);
}

template <class H, std::size_t N>
void append_histogram(std::string& out, const std::string& name, const std::string& labels,
                      const H& h, const std::array<double, N>& bounds) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += h.buckets[i];
    const std::string le = i < bounds.size() ? bound_text(bounds[i]) : std::string("+Inf");
    metrics::append_sample(out, name + "_bucket", labels + ",le=\"" + le + '"',
                           static_cast<double>(cumulative));
  }
  metrics::append_sample(out, name + "_sum", labels, h.sum);
  metrics::append_sample(out, name + "_count", labels, static_cast<double>(h.count));
}

}  // namespace

void DbMetrics::Hub::render(std::string& out) {
  struct Row {
    std::string labels;
    Totals t;
    PoolStats pool;
  };
  std::vector<Row> rows;
  {
    std::lock_guard lock(mu);
    for (const DbMetrics* m : members) {
      rows.push_back({"db=\"" + metrics::escape_label(m->db_) + "\"", m->totals(),
                      m->pool_stats_ ? m->pool_stats_() : PoolStats{}});
    }
  }
  if (rows.empty()) return;
  using metrics::Type;
  metrics::append_header(out, "mmx_db_query_duration_seconds",
                         "Statement latency, including the worker handoff", Type::histogram);
  for (const auto& r : rows)
    append_histogram(out, "mmx_db_query_duration_seconds", r.labels, r.t.query, kBounds);
  metrics::append_header(out, "mmx_db_pool_wait_seconds",
                         "Time spent waiting for a free connection", Type::histogram);
  for (const auto& r : rows)
    append_histogram(out, "mmx_db_pool_wait_seconds", r.labels, r.t.wait, kBounds);
  metrics::append_header(out, "mmx_db_statements_total",
                         "Statements by where they ran: inline on the io thread (quick SQLite "
                         "statements) or on the worker pool",
                         Type::counter);
  for (const auto& r : rows) {
    metrics::append_sample(out, "mmx_db_statements_total", r.labels + ",path=\"inline\"",
                           static_cast<double>(r.t.ran_inline));
    metrics::append_sample(out, "mmx_db_statements_total", r.labels + ",path=\"worker\"",
                           static_cast<double>(r.t.ran_on_worker));
  }
  metrics::append_header(out, "mmx_db_connections", "Open connections by state", Type::gauge);
  for (const auto& r : rows) {
    metrics::append_sample(out, "mmx_db_connections", r.labels + ",state=\"idle\"",
                           static_cast<double>(r.pool.idle));
    metrics::append_sample(out, "mmx_db_connections", r.labels + ",state=\"busy\"",
                           static_cast<double>(r.pool.busy));
  }
  metrics::append_header(out, "mmx_db_pool_waiting", "Requests waiting for a connection",
                         Type::gauge);
  for (const auto& r : rows)
    metrics::append_sample(out, "mmx_db_pool_waiting", r.labels,
                           static_cast<double>(r.pool.waiting));
  metrics::append_header(out, "mmx_db_pool_queued_total",
                         "Connection requests that had to queue for a free connection",
                         Type::counter);
  for (const auto& r : rows)
    metrics::append_sample(out, "mmx_db_pool_queued_total", r.labels,
                           static_cast<double>(r.pool.queued));
}

}  // namespace mmx::db::detail
