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
// waits. The exception (ADR 0007): SQLite statements measured to be quick run inline. A transaction
// holds its connection from BEGIN to COMMIT; leaving the scope any other way (exception,
// cancellation, a destroyed coroutine) rolls it back before the connection is reused. Serialization
// failures and deadlocks re-run the whole function.
#include <array>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "mmx/db/args.hpp"
#include "mmx/db/convert.hpp"
#include "mmx/db/driver.hpp"
#include "mmx/db/options.hpp"
#include "mmx/db/result.hpp"
#include "mmx/db/sql.hpp"

namespace mmx::exec {
class WorkerPool;
}
namespace mmx::metrics {
class Registry;
}

namespace mmx::db {

template <class T>
using awaitable = boost::asio::awaitable<T>;

// What the drivers read, from the parameters a statement's frame owns.
template <class P>
struct ParamSource;
template <>
struct ParamSource<Params> {
  explicit ParamSource(const Params& p) : views(p) {}
  ParamSpan span() const noexcept { return views.span(); }
  ParamViews views;
};
template <std::size_t N>
struct ParamSource<Args<N>> {
  explicit ParamSource(const Args<N>& a) noexcept : s(a.span()) {}
  ParamSpan span() const noexcept { return s; }
  ParamSpan s;
};

// The query methods shared by Database (auto-commit, one statement each) and Transaction.
class Session {
 public:
  virtual ~Session() = default;
  virtual Dialect dialect() const = 0;

  // These are plain functions returning a coroutine that owns its arguments: the SQL (a
  // string literal is referred to, other text copied: see Sql) and the parameters,
  // converted now into the coroutine's frame (see Args), so an awaitable that is started
  // later (co_spawn) never refers to a caller's temporaries.
  template <class... A>
  awaitable<Result> query(Sql sql, const A&... args) {
    return run_into<ResultBuilder>(std::move(sql), Args<sizeof...(A)>(args...));
  }
  // Rows affected.
  template <class... A>
  awaitable<std::int64_t> execute(Sql sql, const A&... args) {
    return run_into<AffectedRows>(std::move(sql), Args<sizeof...(A)>(args...));
  }
  template <class T, class... A>
  awaitable<std::vector<T>> fetch_all(Sql sql, const A&... args) {
    return run_into<StructCollector<T>>(std::move(sql), Args<sizeof...(A)>(args...));
  }
  template <class T, class... A>
  awaitable<std::optional<T>> fetch_one(Sql sql, const A&... args) {
    return run_into<FirstRow<T>>(std::move(sql), Args<sizeof...(A)>(args...));
  }
  // The first column of the first row (nullopt: no row). T may be optional for NULLs.
  template <class T, class... A>
  awaitable<std::optional<T>> fetch_value(Sql sql, const A&... args) {
    return run_into<FirstValue<T>>(std::move(sql), Args<sizeof...(A)>(args...));
  }

  // The same with the parameters in a vector (built at run time, e.g. by db::Where).
  awaitable<std::int64_t> execute_params(Sql sql, Params params) {
    return run_into<AffectedRows>(std::move(sql), std::move(params));
  }
  template <class T>
  awaitable<std::vector<T>> fetch_all_params(Sql sql, Params params) {
    return run_into<StructCollector<T>>(std::move(sql), std::move(params));
  }
  template <class T>
  awaitable<std::optional<T>> fetch_one_params(Sql sql, Params params) {
    return run_into<FirstRow<T>>(std::move(sql), std::move(params));
  }
  template <class T>
  awaitable<std::optional<T>> fetch_value_params(Sql sql, Params params) {
    return run_into<FirstValue<T>>(std::move(sql), std::move(params));
  }
  // The whole result.
  awaitable<Result> run(Sql sql, Params params) {
    return run_into<ResultBuilder>(std::move(sql), std::move(params));
  }

 protected:
  // One coroutine frame per statement, which owns the SQL, the parameters (P: Params or
  // Args<N>) and the consumer of the rows (C: what the method returns, from take()). The
  // inline fast path (ADR 0007) runs here and now; only a statement that must wait goes
  // through run_ref().
  template <class C, class P>
  awaitable<typename C::result_type> run_into(Sql sql, P params) {
    const ParamSource<P> source(params);
    const ParamSpan args = source.span();
    C rows;
    std::int64_t affected = 0;
    if (!try_run_inline(sql.text(), args, rows, affected)) {
      const std::string_view text = sql.text();
      affected = co_await run_ref(text, args, rows);
    }
    co_return rows.take(affected);
  }
  // The inline fast path without a coroutine frame of its own: true when the statement ran
  // here and now (rows streamed to `consumer`); false and nothing done when run_ref() must
  // be awaited.
  virtual bool try_run_inline(std::string_view sql, ParamSpan params, RowConsumer& consumer,
                              std::int64_t& affected) = 0;
  // The primitive: runs one statement, streams its rows to `consumer` and returns the rows
  // affected. Everything is taken by reference: only run_into() above calls it,
  // with objects of its own frame, and co_awaits it at once (never co_spawns it).
  virtual awaitable<std::int64_t> run_ref(std::string_view sql, ParamSpan params,
                                          RowConsumer& consumer) = 0;
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
  awaitable<void> commit();
  awaitable<void> rollback();
  bool open() const;
  // Runs after a successful COMMIT (on the committing coroutine's thread): for work that
  // must see the committed data, like waking the outbox relay. Never after a rollback.
  void on_commit(std::function<void()> callback);

 private:
  friend class Database;
  Transaction(Database& db, std::unique_ptr<Lease> lease);
  bool try_run_inline(std::string_view sql, ParamSpan params, RowConsumer& consumer,
                      std::int64_t& affected) override;
  awaitable<std::int64_t> run_ref(std::string_view sql, ParamSpan params,
                                  RowConsumer& consumer) override;
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

  // Starts a transaction on a leased (writer) connection.
  awaitable<Transaction> begin();

  // Runs fn(tx) in a transaction and commits; re-runs it on a serialization failure or a
  // deadlock (with a short jittered pause), up to options.max_retries times.
  template <class F>
  auto transaction(F fn)
      -> awaitable<typename detail::AwaitableValue<std::invoke_result_t<F&, Transaction&>>::type> {
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
  bool try_run_inline(std::string_view sql, ParamSpan params, RowConsumer& consumer,
                      std::int64_t& affected) override;
  awaitable<std::int64_t> run_ref(std::string_view sql, ParamSpan params,
                                  RowConsumer& consumer) override;
  awaitable<void> retry_pause(int attempt);
  friend class Transaction;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mmx::db
