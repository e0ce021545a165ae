#pragma once
// The async database API. Handlers write
//
//   auto user = co_await db.fetch_one<User>("SELECT * FROM users WHERE id = $1", id);
//   co_await db.transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
//     co_await tx.execute("UPDATE stock SET n = n - $1 WHERE sku = $2", qty, sku);
//     co_await outbox.add(tx, event);
//   });
//
// Every driver call runs on the worker pool with a leased connection; the io thread only
// waits. The exception (ADR 0007): SQLite statements measured to be quick run inline. A transaction holds its connection from BEGIN to COMMIT; leaving the scope any
// other way (exception, cancellation, a destroyed coroutine) rolls it back before the
// connection is reused. Serialization failures and deadlocks re-run the whole function.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "mmx/db/convert.hpp"
#include "mmx/db/driver.hpp"
#include "mmx/db/options.hpp"
#include "mmx/db/result.hpp"

namespace mmx::exec {
class WorkerPool;
}
namespace mmx::metrics {
class Registry;
}

namespace mmx::db {

template <class T>
using awaitable = boost::asio::awaitable<T>;

// The query methods shared by Database (auto-commit, one statement each) and Transaction.
class Session {
 public:
  virtual ~Session() = default;
  virtual Dialect dialect() const = 0;

  // These are plain functions returning a coroutine that owns its arguments: parameters
  // are converted now, so an awaitable that is started later (co_spawn) never refers to a
  // caller's temporaries.
  template <class... A>
  awaitable<Result> query(std::string sql, const A&... args) {
    return run(std::move(sql), make_params(args...));
  }
  // Rows affected.
  template <class... A>
  awaitable<std::int64_t> execute(std::string sql, const A&... args) {
    return execute_params(std::move(sql), make_params(args...));
  }
  template <class T, class... A>
  awaitable<std::vector<T>> fetch_all(std::string sql, const A&... args) {
    return fetch_all_params<T>(std::move(sql), make_params(args...));
  }
  template <class T, class... A>
  awaitable<std::optional<T>> fetch_one(std::string sql, const A&... args) {
    return fetch_one_params<T>(std::move(sql), make_params(args...));
  }
  // The first column of the first row (nullopt: no row). T may be optional for NULLs.
  template <class T, class... A>
  awaitable<std::optional<T>> fetch_value(std::string sql, const A&... args) {
    return fetch_value_params<T>(std::move(sql), make_params(args...));
  }

  // Not a coroutine itself: one frame fewer per statement (frames are most of what the
  // async layer costs on an inline SQLite statement).
  awaitable<std::int64_t> execute_params(std::string sql, Params params) {
    return run_each(std::move(sql), std::move(params), ignore_rows());
  }
  template <class T>
  awaitable<std::vector<T>> fetch_all_params(std::string sql, Params params) {
    StructCollector<T> rows;
    std::int64_t affected = 0;
    if (!try_run_inline(sql, params, rows, affected))
      co_await run_each(std::move(sql), std::move(params), rows);
    co_return std::move(rows.rows);
  }
  template <class T>
  awaitable<std::optional<T>> fetch_one_params(std::string sql, Params params) {
    StructCollector<T> rows(/*first_only=*/true);
    std::int64_t affected = 0;
    if (!try_run_inline(sql, params, rows, affected))
      co_await run_each(std::move(sql), std::move(params), rows);
    if (rows.rows.empty()) co_return std::nullopt;
    co_return std::move(rows.rows.front());
  }
  template <class T>
  awaitable<std::optional<T>> fetch_value_params(std::string sql, Params params) {
    Result r = co_await run(std::move(sql), std::move(params));
    if (r.rows.empty() || r.rows.front().empty()) co_return std::nullopt;
    co_return from_db_value<T>(r.rows.front().front(), r.columns.front());
  }

  // The whole result.
  awaitable<Result> run(std::string sql, Params params) {
    ResultBuilder rows;
    std::int64_t affected = 0;
    if (!try_run_inline(sql, params, rows, affected))
      affected = co_await run_each(std::move(sql), std::move(params), rows);
    rows.result.affected = affected;
    co_return std::move(rows.result);
  }
  // The primitive: streams rows to `consumer` (which must outlive the awaited call: keep it
  // in the awaiting coroutine's frame) and returns the rows affected.
  virtual awaitable<std::int64_t> run_each(std::string sql, Params params,
                                           RowConsumer& consumer) = 0;

 protected:
  // The inline fast path (ADR 0007) without a coroutine frame of its own: true when the
  // statement ran here and now; false and nothing done when run_each() must be awaited.
  virtual bool try_run_inline(const std::string& sql, const Params& params,
                              RowConsumer& consumer, std::int64_t& affected) = 0;
};

class Lease;
class Database;

class Transaction final : public Session {
 public:
  Transaction();  // finished (not open); what Database::begin() assigns into
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) noexcept;
  ~Transaction() override;  // not committed: rolled back before the connection is reused
  Dialect dialect() const override;
  awaitable<std::int64_t> run_each(std::string sql, Params params,
                                   RowConsumer& consumer) override;
  awaitable<void> commit();
  awaitable<void> rollback();
  bool open() const;
  // Runs after a successful COMMIT (on the committing coroutine's thread): for work that
  // must see the committed data, like waking the outbox relay. Never after a rollback.
  void on_commit(std::function<void()> callback);

 private:
  friend class Database;
  Transaction(Database& db, std::unique_ptr<Lease> lease);
  bool try_run_inline(const std::string& sql, const Params& params, RowConsumer& consumer,
                      std::int64_t& affected) override;
  Database* db_ = nullptr;
  std::unique_ptr<Lease> lease_;
  std::vector<std::function<void()>> on_commit_;
};

namespace detail {
template <class T>
struct AwaitableValue;
template <class T>
struct AwaitableValue<boost::asio::awaitable<T>> {
  using type = T;
};
}  // namespace detail

class Database final : public Session, public std::enable_shared_from_this<Database> {
 public:
  struct Stats {
    std::size_t idle = 0, busy = 0, waiting = 0;
    std::uint64_t queued = 0;  // acquisitions so far that had to wait in the queue
  };

  // Opens lazily: no connection is made until first use (see connect()).
  static std::shared_ptr<Database> open(DatabaseOptions options, exec::WorkerPool& workers,
                                        metrics::Registry* metrics = nullptr);
  // For tests and drivers we do not ship: any Driver.
  static std::shared_ptr<Database> open(DatabaseOptions options, std::unique_ptr<Driver> driver,
                                        exec::WorkerPool& workers,
                                        metrics::Registry* metrics = nullptr);
  ~Database() override;

  // Blocking, for start-up: connects once, retrying while the server is unavailable
  // (starting up, not yet reachable) until options.connect_wait; authentication and
  // configuration errors fail at once. Throws DbError.
  void connect();

  Dialect dialect() const override;
  const DatabaseOptions& options() const;
  Driver& driver();
  awaitable<std::int64_t> run_each(std::string sql, Params params,
                                   RowConsumer& consumer) override;

  // Starts a transaction on a leased (writer) connection.
  awaitable<Transaction> begin();

  // Runs fn(tx) in a transaction and commits; re-runs it on a serialization failure or a
  // deadlock (with a short jittered pause), up to options.max_retries times.
  template <class F>
  auto transaction(F fn) -> awaitable<typename detail::AwaitableValue<
      std::invoke_result_t<F&, Transaction&>>::type> {
    using R = typename detail::AwaitableValue<std::invoke_result_t<F&, Transaction&>>::type;
    for (int attempt = 0;; ++attempt) {
      bool retry = false;
      {
        Transaction tx = co_await begin();
        try {
          if constexpr (std::is_void_v<R>) {
            co_await fn(tx);
            co_await tx.commit();
            co_return;
          } else {
            R value = co_await fn(tx);
            co_await tx.commit();
            co_return value;
          }
        } catch (const DbError& e) {
          if (!e.retryable() || attempt >= options().max_retries) throw;
          retry = true;
        }
      }
      if (retry) co_await retry_pause(attempt);
    }
  }

  // A readiness check: SELECT 1 through the pool.
  awaitable<bool> ping();
  Stats stats() const;

 private:
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);
  bool try_run_inline(const std::string& sql, const Params& params, RowConsumer& consumer,
                      std::int64_t& affected) override;
  awaitable<void> retry_pause(int attempt);
  friend class Transaction;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mmx::db
