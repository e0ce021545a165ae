#include "mmx/db/database.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <random>
#include <thread>

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

const Params kNoParams;
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
  exec::WorkerPool& workers;
  std::shared_ptr<Pool> writer;
  std::shared_ptr<Pool> reader;  // SQLite only; else == writer
  metrics::Histogram* wait_seconds = nullptr;
  metrics::Histogram* query_seconds = nullptr;
  metrics::Family<metrics::Counter>* errors = nullptr;
  metrics::Counter* retries = nullptr;

  Impl(DatabaseOptions o, std::unique_ptr<Driver> d, exec::WorkerPool& w)
      : options(std::move(o)), driver(std::move(d)), workers(w) {
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
    if (wait_seconds) wait_seconds->observe(seconds_since(t0));
    co_return std::make_unique<Lease>(pool, std::move(slot), *driver, workers, read_only);
  }

  // Runs one statement (or a script when `script`) on the lease's connection, on a worker.
  // By reference: every caller passes objects of its own (suspended) frame, and the hot
  // path then copies neither the SQL nor the parameters.
  asio::awaitable<Result> run_on(Lease& lease, const std::string& sql, const Params& params,
                                 bool script) {
    auto t0 = Clock::now();
    try {
      Result r = co_await exec::offload(workers, [&lease, &sql, &params, script] {
        Connection& c = lease.connection();
        if (script) {
          c.execute_script(sql);
          return Result{};
        }
        return c.execute(sql, params);
      });
      if (query_seconds) query_seconds->observe(seconds_since(t0));
      co_return r;
    } catch (const DbError& e) {
      count_error(e);
      throw;
    }
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
    impl->wait_seconds = &metrics->histogram("mmx_db_pool_wait_seconds",
                                             "Time spent waiting for a free connection", {"db"})
                              .with({n});
    impl->query_seconds = &metrics->histogram("mmx_db_query_duration_seconds",
                                              "Statement latency, including the worker handoff",
                                              {"db"})
                               .with({n});
    impl->errors = &metrics->counter("mmx_db_errors_total", "Database errors by kind", {"db", "kind"});
    impl->retries = &metrics->counter("mmx_db_transaction_retries_total",
                                      "Transactions re-run after a serialization failure or deadlock",
                                      {"db"})
                         .with({n});
  }
  auto db = std::shared_ptr<Database>(new Database(std::move(impl)));
  if (metrics) {
    std::weak_ptr<Database> weak = db;
    metrics->add_collector([weak, name = db->options().name](std::string& out) {
      auto self = weak.lock();
      if (!self) return;
      auto s = self->stats();
      std::string labels = "db=\"" + metrics::escape_label(name) + "\"";
      metrics::append_header(out, "mmx_db_connections", "Open connections by state",
                             metrics::Type::gauge);
      metrics::append_sample(out, "mmx_db_connections", labels + ",state=\"idle\"", double(s.idle));
      metrics::append_sample(out, "mmx_db_connections", labels + ",state=\"busy\"", double(s.busy));
      metrics::append_header(out, "mmx_db_pool_waiting", "Requests waiting for a connection",
                             metrics::Type::gauge);
      metrics::append_sample(out, "mmx_db_pool_waiting", labels, double(s.waiting));
    });
  }
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

asio::awaitable<Result> Database::run(std::string sql, Params params) {
  bool read = impl_->driver->separate_readers() && is_read(sql);
  auto& pool = read ? impl_->reader : impl_->writer;
  auto lease = co_await impl_->lease(pool, read);
  bool reused = lease->reused();
  try {
    co_return co_await impl_->run_on(*lease, sql, params, false);
  } catch (const DbError& e) {
    // A pooled connection that died while idle (server restart): a read is safe to run
    // again on a fresh one. Writes are not retried: whether they ran is unknown.
    if (e.kind() != ErrorKind::unavailable || !reused || !is_read(sql)) throw;
  }
  lease.reset();  // gives the dead connection back, which flushes the idle ones
  auto fresh = co_await impl_->lease(pool, read);
  co_return co_await impl_->run_on(*fresh, sql, params, false);
}

asio::awaitable<Transaction> Database::begin() {
  for (int attempt = 0;; ++attempt) {
    auto lease = co_await impl_->lease(impl_->writer, false);
    bool reused = lease->reused();
    const std::string begin_sql = impl_->driver->begin_sql();
    try {
      co_await impl_->run_on(*lease, begin_sql, kNoParams, true);
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
  auto w = impl_->writer->stats();
  Stats s{w.idle, w.busy, w.waiting};
  if (impl_->reader != impl_->writer) {
    auto r = impl_->reader->stats();
    s.idle += r.idle;
    s.busy += r.busy;
    s.waiting += r.waiting;
  }
  return s;
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

asio::awaitable<Result> Transaction::run(std::string sql, Params params) {
  if (!open()) throw DbError(ErrorKind::query, "transaction already finished");
  co_return co_await db_->impl_->run_on(*lease_, sql, params, false);
}

asio::awaitable<void> Transaction::commit() {
  if (!open()) throw DbError(ErrorKind::query, "transaction already finished");
  co_await db_->impl_->run_on(*lease_, kCommit, kNoParams, true);
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
  co_await db_->impl_->run_on(*lease_, kRollback, kNoParams, true);
  lease_->in_transaction = false;
  lease_.reset();
}

}  // namespace mmx::db
