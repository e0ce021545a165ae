#include "mmx/db/database.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <random>
#include <thread>

#include "db_metrics.hpp"
#include "mmx/db/drivers.hpp"
#include "mmx/exec/offload.hpp"
#include "mmx/log/log.hpp"
#include "mmx/metrics/metrics.hpp"
#include "pool.hpp"

namespace mmx::db {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Both pools together (the same pool twice except on SQLite).
Pool::Stats pool_stats(const Pool& writer, const Pool& reader) {
  Pool::Stats s = writer.stats();
  if (&reader != &writer) s += reader.stats();
  return s;
}

const std::string kCommit = "COMMIT";
const std::string kRollback = "ROLLBACK";

// Statements a read-only SQLite connection can run; everything else goes to the writer.
bool is_read(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  auto word = sql.substr(i, 6);
  auto iequals = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(a[k])) != b[k]) return false;
    return true;
  };
  return iequals(word, "select") || iequals(sql.substr(i, 7), "explain");
}

}  // namespace

struct Database::Impl {
  DatabaseOptions options;
  std::unique_ptr<Driver> driver;
  // PostgreSQL: a thread per pooled connection (ADR 0009). A statement waiting for a row
  // lock blocks its thread; on the shared worker pool, enough such waiters would take every
  // worker and the transaction holding the lock could never run its COMMIT.
  std::unique_ptr<exec::WorkerPool> dedicated;
  exec::WorkerPool& workers;
  std::shared_ptr<Pool> writer;
  std::shared_ptr<Pool> reader;  // SQLite only; else == writer
  // Latency, pool wait and where statements ran (inline on the io thread, ADR 0007, or on
  // a worker), in per-thread shards; null without a registry.
  std::shared_ptr<detail::DbMetrics> stats;
  metrics::Family<metrics::Counter>* errors = nullptr;
  metrics::Counter* retries = nullptr;

  // BEGIN/COMMIT/ROLLBACK: prepared and cached like any statement where the driver can
  // (SQLite, which may then run them inline); sent as simple queries to PostgreSQL.
  std::string begin_sql;
  bool control_as_script = true;

  Impl(DatabaseOptions o, std::unique_ptr<Driver> d, exec::WorkerPool& w)
      : options(std::move(o)),
        driver(std::move(d)),
        dedicated(driver->dialect() == Dialect::postgresql
                      ? std::make_unique<exec::WorkerPool>(options.pool_size, 4096)
                      : nullptr),
        workers(dedicated ? *dedicated : w) {
    begin_sql = driver->begin_sql();
    control_as_script = driver->dialect() != Dialect::sqlite;
    if (driver->separate_readers()) {
      writer = std::make_shared<Pool>("writer", 1, options.pool_wait);
      reader = std::make_shared<Pool>("reader", options.pool_size, options.pool_wait);
    } else {
      writer = reader = std::make_shared<Pool>("database", options.pool_size, options.pool_wait);
    }
  }

  void count_error(const DbError& e) {
    if (errors) errors->with({options.name, to_string(e.kind())}).inc();
  }

  // Leases a connection from `pool`, timing the wait.
  asio::awaitable<std::unique_ptr<Lease>> lease(const std::shared_ptr<Pool>& pool, bool read_only) {
    auto t0 = Clock::now();
    Pool::Slot slot;
    try {
      slot = co_await pool->acquire();
    } catch (const DbError& e) {
      count_error(e);
      throw;
    }
    if (stats) stats->pool_wait(seconds_since(t0));
    co_return std::make_unique<Lease>(pool, std::move(slot), *driver, workers, read_only);
  }

  // The lease without a coroutine frame when a connection is free (nearly always), else
  // null and the caller awaits lease().
  std::unique_ptr<Lease> try_lease(const std::shared_ptr<Pool>& pool, bool read_only) {
    Pool::Slot slot;
    if (!pool->try_acquire(slot)) return nullptr;
    if (stats) stats->pool_wait(0.0);
    return std::make_unique<Lease>(pool, std::move(slot), *driver, workers, read_only);
  }

  // On the io thread, when the driver knows the statement to be quick (SQLite, ADR 0007):
  // true with the rows streamed; false and nothing done when it must be offloaded.
  bool try_inline(Lease& lease, std::string_view sql, ParamSpan params, RowConsumer& consumer,
                  std::int64_t& affected) {
    Connection* c = lease.existing();
    return c && try_inline(c, sql, params, consumer, affected);
  }
  bool try_inline(Connection* c, std::string_view sql, ParamSpan params, RowConsumer& consumer,
                  std::int64_t& affected) {
    Connection::InlineRun done;
    try {
      if (!c->try_execute_inline(sql, params, consumer, done)) return false;
    } catch (const DbError& e) {
      count_error(e);
      throw;
    }
    affected = done.affected;
    if (stats) stats->ran_inline(std::chrono::duration<double>(done.elapsed).count());
    return true;
  }

  // Runs one statement on the lease's connection on a worker (after try_inline said no).
  // Rows go to `consumer`; returns rows affected. By reference: every caller passes objects
  // of its own (suspended) frame, so nothing is copied.
  // With `release`, the worker gives the connection back as soon as the statement is done
  // (see Lease::release), whether it succeeded or not.
  asio::awaitable<std::int64_t> offload_run(Lease& lease, std::string_view sql, ParamSpan params,
                                            RowConsumer& consumer, bool release = false) {
    if (stats) stats->ran_on_worker();
    auto t0 = Clock::now();
    std::int64_t affected = 0;
    try {
      affected = co_await exec::offload(workers, [&lease, sql, params, &consumer, release] {
        struct Release {
          Lease& lease;
          bool on;
          ~Release() {
            if (on) lease.release();
          }
        } done{lease, release};
        return lease.connection().execute_each(sql, params, consumer);
      });
    } catch (const DbError& e) {
      count_error(e);
      throw;
    }
    if (stats) stats->query(seconds_since(t0));
    co_return affected;
  }

  // BEGIN / COMMIT / ROLLBACK: inline when the driver allows (true: done)...
  bool control_inline(Lease& lease, const std::string& sql) {
    std::int64_t ignored = 0;
    return !control_as_script && try_inline(lease, sql, ParamSpan(), ignore_rows(), ignored);
  }
  // ... else on a worker. With `ends`, the statement ends the transaction: once it has
  // succeeded the worker gives the connection back (a failed one stays leased, and the
  // lease rolls back). On SQLite's single writer this keeps the next transaction from
  // waiting for this one's resumption on a busy io thread.
  asio::awaitable<void> control(Lease& lease, const std::string& sql, bool ends = false) {
    if (stats) stats->ran_on_worker();
    auto t0 = Clock::now();
    try {
      co_await exec::offload(workers, [this, &lease, &sql, ends] {
        if (control_as_script) {
          lease.connection().execute_script(sql);
        } else {
          lease.connection().execute_each(sql, ParamSpan(), ignore_rows());
        }
        if (ends) {
          lease.in_transaction = false;
          lease.release();
        }
      });
    } catch (const DbError& e) {
      count_error(e);
      throw;
    }
    if (stats) stats->query(seconds_since(t0));
  }
};

std::shared_ptr<Database> Database::open(DatabaseOptions options, exec::WorkerPool& workers,
                                         metrics::Registry* metrics) {
  auto driver = options.url.dialect == Dialect::sqlite ? make_sqlite_driver(options)
                                                       : make_postgres_driver(options);
  return open(std::move(options), std::move(driver), workers, metrics);
}

std::shared_ptr<Database> Database::open(DatabaseOptions options, std::unique_ptr<Driver> driver,
                                         exec::WorkerPool& workers, metrics::Registry* metrics) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(driver), workers);
  if (metrics) {
    const std::string& n = impl->options.name;
    impl->errors =
        &metrics->counter("mmx_db_errors_total", "Database errors by kind", {"db", "kind"});
    impl->retries =
        &metrics
             ->counter("mmx_db_transaction_retries_total",
                       "Transactions re-run after a serialization failure or deadlock", {"db"})
             .with({n});
    impl->stats = detail::DbMetrics::create(
        *metrics, n,
        [writer = impl->writer, reader = impl->reader] { return pool_stats(*writer, *reader); });
  }
  auto db = std::shared_ptr<Database>(new Database(std::move(impl)));
  return db;
}

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

Dialect Database::dialect() const { return impl_->driver->dialect(); }
const DatabaseOptions& Database::options() const { return impl_->options; }
Driver& Database::driver() { return *impl_->driver; }

void Database::connect() {
  auto deadline = Clock::now() + impl_->options.connect_wait;
  auto pause = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    try {
      impl_->driver->connect(false);  // proves it works; the pool makes its own lazily
      return;
    } catch (const DbError& e) {
      if (e.kind() != ErrorKind::unavailable || Clock::now() + pause > deadline) throw;
      if (attempt == 1)
        log::warn("db", "database not reachable yet, waiting",
                  {{"db", impl_->options.name},
                   {"url", impl_->driver->display_name()},
                   {"error", e.what()}});
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    }
  }
}

bool Database::try_run_inline(std::string_view sql, ParamSpan params, RowConsumer& consumer,
                              std::int64_t& affected) {
  if (!impl_->driver->separate_readers()) return false;  // only SQLite runs inline
  Pool& pool = is_read(sql) ? *impl_->reader : *impl_->writer;
  // An idle connection, held on the stack while the statement runs (no Lease: nothing is
  // allocated or reference-counted), and given back before anything else runs here. The
  // (zero) pool wait is recorded only when the statement did run here (else run_ref()
  // leases again and records it).
  std::unique_ptr<Connection> conn = pool.try_acquire_idle();
  if (!conn) return false;
  struct GiveBack {
    Pool& pool;
    std::unique_ptr<Connection>& conn;
    ~GiveBack() { pool.give_back_idle(std::move(conn)); }
  } give_back{pool, conn};
  if (!impl_->try_inline(conn.get(), sql, params, consumer, affected)) return false;
  if (impl_->stats) impl_->stats->pool_wait(0.0);
  return true;
}

asio::awaitable<std::int64_t> Database::run_ref(std::string_view sql, ParamSpan params,
                                                RowConsumer& consumer) {
  bool read = impl_->driver->separate_readers() && is_read(sql);
  auto& pool = read ? impl_->reader : impl_->writer;
  auto lease = impl_->try_lease(pool, read);
  if (!lease) lease = co_await impl_->lease(pool, read);
  bool reused = lease->reused();
  try {
    std::int64_t affected = 0;
    if (impl_->try_inline(*lease, sql, params, consumer, affected)) co_return affected;
    co_return co_await impl_->offload_run(*lease, sql, params, consumer, /*release=*/true);
  } catch (const DbError& e) {
    // A pooled connection that died while idle (server restart): a read is safe to run
    // again on a fresh one (the consumer starts over). Writes are not retried: whether
    // they ran is unknown.
    if (e.kind() != ErrorKind::unavailable || !reused || !is_read(sql)) throw;
  }
  lease.reset();  // gives the dead connection back, which flushes the idle ones
  auto fresh = co_await impl_->lease(pool, read);
  co_return co_await impl_->offload_run(*fresh, sql, params, consumer, /*release=*/true);
}

asio::awaitable<Transaction> Database::begin() {
  for (int attempt = 0;; ++attempt) {
    auto lease = impl_->try_lease(impl_->writer, false);
    if (!lease) lease = co_await impl_->lease(impl_->writer, false);
    bool reused = lease->reused();
    try {
      if (!impl_->control_inline(*lease, impl_->begin_sql))
        co_await impl_->control(*lease, impl_->begin_sql);
      lease->in_transaction = true;
      co_return Transaction(*this, std::move(lease));
    } catch (const DbError& e) {
      // BEGIN on a connection that died while idle changed nothing: safe to try again once,
      // on a fresh connection (giving the dead one back flushes the idle ones too).
      if (e.kind() != ErrorKind::unavailable || !reused || attempt > 0) throw;
    }
  }
}

asio::awaitable<bool> Database::ping() {
  Result r = co_await run("SELECT 1", {});
  co_return !r.rows.empty();
}

Database::Stats Database::stats() const {
  const Pool::Stats s = pool_stats(*impl_->writer, *impl_->reader);
  return {s.idle, s.busy, s.waiting, s.queued};
}

asio::awaitable<void> Database::retry_pause(int attempt) {
  if (impl_->retries) impl_->retries->inc();
  thread_local std::mt19937 rng{std::random_device{}()};
  int base = 5 << std::min(attempt, 6);  // 5, 10, 20 ... ms, jittered so retriers spread out
  std::uniform_int_distribution<int> jitter(base / 2, base);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(jitter(rng)));
  co_await timer.async_wait(asio::use_awaitable);
}

// --- Transaction -----------------------------------------------------------------------

Transaction::Transaction(Database& db, std::unique_ptr<Lease> lease)
    : db_(&db), lease_(std::move(lease)) {}
Transaction::Transaction() = default;
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&&) noexcept = default;
Transaction::~Transaction() = default;  // Lease rolls back when still in a transaction

Dialect Transaction::dialect() const {
  if (!db_) throw DbError(ErrorKind::query, "no transaction");
  return db_->dialect();
}
bool Transaction::open() const { return lease_ && lease_->in_transaction; }

bool Transaction::try_run_inline(std::string_view sql, ParamSpan params, RowConsumer& consumer,
                                 std::int64_t& affected) {
  return open() && db_->impl_->try_inline(*lease_, sql, params, consumer, affected);
}

asio::awaitable<std::int64_t> Transaction::run_ref(std::string_view sql, ParamSpan params,
                                                   RowConsumer& consumer) {
  if (!open()) throw DbError(ErrorKind::query, "transaction already finished");
  std::int64_t affected = 0;
  if (db_->impl_->try_inline(*lease_, sql, params, consumer, affected)) co_return affected;
  co_return co_await db_->impl_->offload_run(*lease_, sql, params, consumer);
}

asio::awaitable<void> Transaction::commit() {
  if (!open()) throw DbError(ErrorKind::query, "transaction already finished");
  if (!db_->impl_->control_inline(*lease_, kCommit))
    co_await db_->impl_->control(*lease_, kCommit, /*ends=*/true);
  lease_->in_transaction = false;
  lease_.reset();
  auto callbacks = std::move(on_commit_);
  for (auto& f : callbacks) f();
}

void Transaction::on_commit(std::function<void()> callback) {
  on_commit_.push_back(std::move(callback));
}

asio::awaitable<void> Transaction::rollback() {
  if (!open()) co_return;
  if (!db_->impl_->control_inline(*lease_, kRollback))
    co_await db_->impl_->control(*lease_, kRollback, /*ends=*/true);
  lease_->in_transaction = false;
  lease_.reset();
}

}  // namespace mmx::db
