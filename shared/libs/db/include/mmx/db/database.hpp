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
// waits. A transaction holds its connection from BEGIN to COMMIT; leaving the scope any
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

  awaitable<std::int64_t> execute_params(std::string sql, Params params) {
    Result r = co_await run(std::move(sql), std::move(params));
    co_return r.affected;
  }
  template <class T>
  awaitable<std::vector<T>> fetch_all_params(std::string sql, Params params) {
    Result r = co_await run(std::move(sql), std::move(params));
    co_return map_rows<T>(r);
  }
  template <class T>
  awaitable<std::optional<T>> fetch_one_params(std::string sql, Params params) {
    Result r = co_await run(std::move(sql), std::move(params));
    if (r.rows.empty()) co_return std::nullopt;
    r.rows.resize(1);
    auto rows = map_rows<T>(r);
    co_return std::move(rows.front());
  }
  template <class T>
  awaitable<std::optional<T>> fetch_value_params(std::string sql, Params params) {
    Result r = co_await run(std::move(sql), std::move(params));
    if (r.rows.empty() || r.rows.front().empty()) co_return std::nullopt;
    co_return from_db_value<T>(r.rows.front().front(), r.columns.front());
  }

  virtual awaitable<Result> run(std::string sql, Params params) = 0;
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
  awaitable<Result> run(std::string sql, Params params) override;
  awaitable<void> commit();
  awaitable<void> rollback();
  bool open() const;
  // Runs after a successful COMMIT (on the committing coroutine's thread): for work that
  // must see the committed data, like waking the outbox relay. Never after a rollback.
  void on_commit(std::function<void()> callback);

 private:
  friend class Database;
  Transaction(Database& db, std::unique_ptr<Lease> lease);
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
  awaitable<Result> run(std::string sql, Params params) override;

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
  awaitable<void> retry_pause(int attempt);
  friend class Transaction;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mmx::db
