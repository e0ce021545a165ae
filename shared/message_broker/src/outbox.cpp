#include "mmx/broker/outbox.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>

#include "mmx/db/errors.hpp"
#include "mmx/log/log.hpp"
#include "mmx/metrics/metrics.hpp"
#include "mmx/tracing/ids.hpp"

namespace mmx::broker {

namespace asio = boost::asio;
using db::Dialect;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string schema_sql(Dialect d) {
  const char* id = d == Dialect::sqlite ? "id INTEGER PRIMARY KEY AUTOINCREMENT"
                                        : "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
  return std::string("CREATE TABLE IF NOT EXISTS mmx_outbox (") + id +
         ", topic TEXT NOT NULL, key TEXT NOT NULL, event_id TEXT NOT NULL,"
         " event_type TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL,"
         " sent_at BIGINT, attempts BIGINT NOT NULL DEFAULT 0, last_error TEXT);"
         "CREATE INDEX IF NOT EXISTS mmx_outbox_pending ON mmx_outbox (id) WHERE sent_at IS NULL;"
         "CREATE TABLE IF NOT EXISTS mmx_outbox_relay (id BIGINT PRIMARY KEY, owner TEXT NOT NULL,"
         " lease_until BIGINT NOT NULL);"
         "INSERT INTO mmx_outbox_relay (id, owner, lease_until) VALUES (1, '', 0) ON CONFLICT DO NOTHING;";
}

}  // namespace

struct Outbox::Impl : std::enable_shared_from_this<Outbox::Impl> {
  std::shared_ptr<db::Database> db;
  Broker& broker;
  OutboxOptions options;
  std::string owner = "relay-" + std::to_string(tracing::random_u64());
  metrics::Counter* relayed = nullptr;
  metrics::Counter* failures = nullptr;
  metrics::Gauge* pending_gauge = nullptr;

  std::mutex mu;  // guards timer/executor: wake() comes from any thread
  asio::steady_timer* timer = nullptr;
  std::optional<asio::any_io_executor> executor;
  std::atomic<bool> woken{false};

  Impl(std::shared_ptr<db::Database> d, Broker& b, OutboxOptions o)
      : db(std::move(d)), broker(b), options(std::move(o)) {}

  void wake() {
    woken = true;
    std::lock_guard lock(mu);
    if (timer && executor) asio::post(*executor, [self = shared_from_this(), t = timer] {
      std::lock_guard inner(self->mu);
      if (self->timer == t) t->cancel();
    });
  }

  // Until when this relay is known to hold the lease: renewing it is a write, so it is
  // renewed only when half of it is gone, not on every idle poll.
  std::int64_t held_until = 0;

  asio::awaitable<bool> try_lease() {
    auto now = now_ms();
    if (now + options.lease.count() / 2 < held_until) co_return true;
    auto n = co_await db->execute(
        "UPDATE mmx_outbox_relay SET owner = $1, lease_until = $2 WHERE id = 1 AND "
        "(owner = $1 OR lease_until < $3)",
        owner, now + options.lease.count(), now);
    held_until = n == 1 ? now + options.lease.count() : 0;
    co_return n == 1;
  }

  asio::awaitable<void> mark_sent(const std::vector<std::int64_t>& ids) {
    std::string list;
    for (auto id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
    if (db->dialect() == Dialect::sqlite) {
      co_await db->execute(
          "UPDATE mmx_outbox SET sent_at = $1 WHERE id IN (SELECT value FROM json_each($2))",
          now_ms(), "[" + list + "]");
    } else {
      co_await db->execute("UPDATE mmx_outbox SET sent_at = $1 WHERE id = ANY($2::bigint[])",
                           now_ms(), "{" + list + "}");
    }
  }
};

Outbox::Outbox(std::shared_ptr<db::Database> db, Broker& broker, OutboxOptions options,
               metrics::Registry* metrics)
    : impl_(std::make_shared<Impl>(std::move(db), broker, std::move(options))) {
  if (!metrics) return;
  const std::string& n = impl_->options.name;
  impl_->relayed = &metrics->counter("mmx_outbox_relayed_total", "Outbox events published", {"service"}).with({n});
  impl_->failures = &metrics->counter("mmx_outbox_publish_failures_total",
                                      "Relay passes the broker refused (events stay pending)",
                                      {"service"}).with({n});
  impl_->pending_gauge = &metrics->gauge("mmx_outbox_pending", "Outbox events not yet published",
                                         {"service"}).with({n});
}

Outbox::~Outbox() = default;

void Outbox::ensure_schema() {
  auto conn = impl_->db->driver().connect(false);
  if (impl_->db->dialect() == Dialect::postgresql) {
    // Replicas starting together would race on CREATE TABLE IF NOT EXISTS.
    conn->execute_script("BEGIN; SELECT pg_advisory_xact_lock(hashtext('micromax:outbox:' || current_schema()));" +
                         schema_sql(Dialect::postgresql) + "COMMIT;");
  } else {
    conn->execute_script("BEGIN IMMEDIATE;" + schema_sql(Dialect::sqlite) + "COMMIT;");
  }
}

asio::awaitable<void> Outbox::add(db::Transaction& tx, std::string topic, std::string key,
                                  Event event) {
  if (impl_->options.validate) impl_->options.validate(event);
  co_await tx.execute(
      "INSERT INTO mmx_outbox (topic, key, event_id, event_type, payload, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      topic, key, event.id, event.type, serialize(event), now_ms());
  std::weak_ptr<Impl> weak = impl_;
  tx.on_commit([weak] {
    if (auto im = weak.lock()) im->wake();
  });
}

void Outbox::wake() { impl_->wake(); }

asio::awaitable<std::int64_t> Outbox::pending() {
  auto n = co_await impl_->db->fetch_value<std::int64_t>(
      "SELECT count(*) FROM mmx_outbox WHERE sent_at IS NULL");
  co_return n.value_or(0);
}

asio::awaitable<std::size_t> Outbox::relay_once() {
  Impl& im = *impl_;
  auto rows = co_await im.db->query(
      "SELECT id, topic, key, payload FROM mmx_outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
      static_cast<std::int64_t>(im.options.batch));
  if (rows.empty()) co_return 0;
  std::vector<OutgoingMessage> batch;
  std::vector<std::int64_t> ids;
  batch.reserve(rows.size());
  for (auto& row : rows.rows) {
    ids.push_back(std::get<std::int64_t>(row[0]));
    batch.push_back({std::get<std::string>(row[1]), std::get<std::string>(row[2]),
                     std::get<std::string>(row[3])});
  }
  std::string error;
  try {
    co_await im.broker.publish_batch(std::move(batch));
  } catch (const BrokerError& e) {
    error = e.what();
  }
  if (!error.empty()) {
    if (im.failures) im.failures->inc();
    // Recorded on the head of the queue, for operators looking at the table.
    co_await im.db->execute(
        "UPDATE mmx_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2",
        error.substr(0, 500), ids.front());
    throw BrokerError(BrokerError::Kind::unavailable, error);
  }
  co_await im.mark_sent(ids);
  if (im.relayed) im.relayed->inc(static_cast<double>(ids.size()));
  co_return ids.size();
}

asio::awaitable<void> Outbox::run_relay() {
  auto im = impl_;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  {
    std::lock_guard lock(im->mu);
    im->timer = &timer;
    im->executor = timer.get_executor();
  }
  struct Detach {
    Impl& im;
    ~Detach() {
      std::lock_guard lock(im.mu);
      im.timer = nullptr;
    }
  } detach{*im};

  int failures = 0;
  auto last_purge = std::chrono::steady_clock::now();
  for (;;) {
    std::chrono::milliseconds wait = im->options.idle_poll;
    std::string error;
    try {
      if (co_await im->try_lease()) {
        std::size_t sent = co_await relay_once();
        if (failures > 0)
          log::info("outbox", "broker reachable again; relaying", {{"service", im->options.name}});
        failures = 0;
        if (sent == im->options.batch) continue;  // more waiting: no pause
        if (sent == 0 && im->pending_gauge) im->pending_gauge->set(0);
        if (std::chrono::steady_clock::now() - last_purge > std::chrono::minutes(1)) {
          last_purge = std::chrono::steady_clock::now();
          co_await im->db->execute("DELETE FROM mmx_outbox WHERE sent_at < $1",
                                   now_ms() - im->options.keep_sent.count());
        }
      }
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) throw;  // shutdown
      error = e.what();
    } catch (const std::exception& e) {
      // Broker down, database busy, worker pool full: all transient for the relay, which
      // must outlive them (the events wait in the table).
      error = e.what();
    }
    if (!error.empty() && im->pending_gauge) {
      try {
        auto n = co_await pending();
        im->pending_gauge->set(static_cast<double>(n));
      } catch (const std::exception&) {
      }
    }
    if (!error.empty()) {
      if (failures++ == 0)
        log::warn("outbox", "cannot relay; events stay in the outbox and will be retried",
                  {{"service", im->options.name}, {"error", error}});
      wait = std::min(im->options.max_backoff,
                      std::chrono::milliseconds(100) * (1 << std::min(failures, 6)));
      im->woken = false;  // a commit must not cut a backoff short
    }
    if (im->woken.exchange(false)) continue;
    boost::system::error_code ec;
    timer.expires_after(wait);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) co_return;
  }
}

}  // namespace mmx::broker
