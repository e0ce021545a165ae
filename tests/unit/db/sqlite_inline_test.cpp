// SQLite statements measured to be quick run inline on the io thread (ADR 0007). These
// tests pin down the guard rails: a statement runs inline only after a quick run, never
// waits for another writer's lock on the io thread, an inline read that overruns is
// finished on a worker, inline commits still get the WAL checkpointed, and mapping rows by
// column name stays right across statements and schema changes.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/describe.hpp>
#include <future>
#include <regex>

#include "db_test_support.hpp"
#include "mmx/db/drivers.hpp"
#include "mmx/db/errors.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::db {

struct Counter {
  std::int64_t id = 0;
  std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(Counter, (), (id, n))

struct Pair {
  std::int64_t a = 0;
  std::optional<std::int64_t> b;
};
BOOST_DESCRIBE_STRUCT(Pair, (), (a, b))

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kRead = "SELECT id, n FROM counter WHERE id = $1";
constexpr const char* kCount =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1) "
    "SELECT count(*) FROM c";

class SqliteInline : public ::testing::Test, protected test::DbHarness {
 protected:
  void SetUp() override {
    url_ = test::fresh_database_url("sqlite", tmpdir_);
    options_.name = "test";
    options_.url = parse_database_url(url_);
    options_.busy_timeout = 5000ms;
    // Generous, so that a run preempted on a loaded CI machine still counts as quick; the
    // long read below takes far longer.
    options_.sqlite_inline_budget = 20ms;
    db_ = open();
    run(db_->execute("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)"));
    run(db_->execute("INSERT INTO counter (id, n) VALUES (1, 0)"));
  }
  void TearDown() override {
    db_.reset();
    // A connection left in a failed transaction is rolled back and closed on a worker:
    // let that finish before its files go.
    workers_.stop();
    std::filesystem::remove_all(tmpdir_);
  }

  // mmx_db_statements_total{db="test",path=...}
  double statements(const std::string& path) {
    std::string text = metrics_.render();
    std::smatch m;
    std::regex re("mmx_db_statements_total\\{db=\"test\",path=\"" + path + "\"\\} ([0-9.e+]+)");
    return std::regex_search(text, m, re) ? std::stod(m[1]) : 0.0;
  }

  // Counts 1 ms timer ticks on the io thread until `stop`: if a statement blocked the io
  // thread, no tick could happen while it ran.
  asio::awaitable<void> ticker(int& ticks, const bool& stop) {
    asio::steady_timer t(io_);
    while (!stop) {
      t.expires_after(1ms);
      co_await t.async_wait(asio::use_awaitable);
      ++ticks;
    }
  }

  std::filesystem::path tmpdir_;
  std::string url_;
  std::shared_ptr<Database> db_;
};

TEST_F(SqliteInline, AQuickStatementRunsInlineAfterItsFirstRun) {
  const double worker0 = statements("worker"), inline0 = statements("inline");
  auto first = run(db_->fetch_one<Counter>(kRead, 1));
  ASSERT_TRUE(first);
  EXPECT_EQ(statements("worker"), worker0 + 1);  // prepared and timed on a worker
  EXPECT_EQ(statements("inline"), inline0);
  for (int i = 0; i < 5; ++i) {
    auto again = run(db_->fetch_one<Counter>(kRead, 1));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, 1);
  }
  EXPECT_EQ(statements("worker"), worker0 + 1);
  EXPECT_EQ(statements("inline"), inline0 + 5);
}

TEST_F(SqliteInline, TransactionsRunInlineToo) {
  auto bump = [&]() -> asio::awaitable<void> {
    co_await db_->transaction([](Transaction& tx) -> asio::awaitable<void> {
      co_await tx.execute("UPDATE counter SET n = n + 1 WHERE id = $1", 1);
    });
  };
  run(bump());  // BEGIN, UPDATE and COMMIT each prepared on a worker
  const double worker0 = statements("worker"), inline0 = statements("inline");
  for (int i = 0; i < 10; ++i) run(bump());
  EXPECT_EQ(statements("worker"), worker0);
  EXPECT_EQ(statements("inline"), inline0 + 30);
  EXPECT_EQ(run(db_->fetch_one<Counter>(kRead, 1))->n, 11);
}

TEST_F(SqliteInline, AColdBurstOfReadersStopsQueueingOnceThePoolIsWarm) {
  // 64 readers start at once on a cold pool of 4 while every worker is busy: 4 of them get
  // a connection to open (on a worker, later) and the other 60 queue. Once the workers are
  // free every read runs inline and nobody has to queue again. (Before the fix a woken
  // waiter took its connection before its resumption had run, the pool was soon held by
  // resumptions in flight and nearly every read queued: the convoy the backend benchmark
  // found.)
  options_.pool_size = 4;
  db_ = open();
  std::promise<void> go;
  std::shared_future<void> started = go.get_future().share();
  for (int w = 0; w < 4; ++w) ASSERT_TRUE(workers_.try_submit([started] { started.wait(); }));
  constexpr int kReaders = 64, kReads = 50;
  int ok = 0;
  auto reader = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < kReads; ++i) {
      auto row = co_await db_->fetch_one<Counter>(kRead, 1);
      if (row && row->id == 1) ++ok;
      co_await asio::post(io_, asio::use_awaitable);  // the rest of a request's work
    }
  };
  for (int r = 0; r < kReaders; ++r) asio::co_spawn(io_, reader(), asio::detached);
  io_.restart();
  io_.poll();
  EXPECT_EQ(db_->stats().waiting, std::size_t{kReaders - 4});
  go.set_value();
  io_.run();
  EXPECT_EQ(ok, kReaders * kReads);
  auto s = db_->stats();
  EXPECT_EQ(s.busy, 0u);
  EXPECT_EQ(s.waiting, 0u);
  EXPECT_LE(s.queued, std::uint64_t{kReaders});  // each reader at most once
  EXPECT_GE(statements("inline"), kReaders * (kReads - 1));
}

TEST_F(SqliteInline, ZeroBudgetAlwaysOffloads) {
  options_.sqlite_inline_budget = 0us;
  db_ = open();
  const double inline0 = statements("inline");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(run(db_->fetch_one<Counter>(kRead, 1)));
  EXPECT_EQ(statements("inline"), inline0);
}

TEST_F(SqliteInline, AnotherWritersLockIsWaitedForOnAWorkerNotOnTheIoThread) {
  const std::string insert = "INSERT INTO counter (id, n) VALUES ($1, $2)";
  run(db_->execute(insert, 2, 0));  // now known to be quick: the next one would run inline
  run(db_->execute(insert, 3, 0));
  // Another connection (as another process would) takes the write lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options_.url.sqlite_path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  int ticks = 0;
  bool stop = false;
  int ticks_when_released = -1;
  // Releases the lock after 30 ticks: only possible if the io thread keeps running while
  // our INSERT waits for the lock.
  auto releaser = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(io_);
    for (int i = 0; i < 30; ++i) {
      t.expires_after(1ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    ticks_when_released = ticks;
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  };
  auto writer = [&]() -> asio::awaitable<std::int64_t> {
    auto n = co_await db_->execute(insert, 4, 0);
    stop = true;
    co_return n;
  };
  auto t0 = std::chrono::steady_clock::now();
  asio::co_spawn(io_, ticker(ticks, stop), asio::detached);
  asio::co_spawn(io_, releaser(), asio::detached);
  auto fut = asio::co_spawn(io_, writer(), asio::use_future);
  io_.restart();
  io_.run();
  EXPECT_EQ(fut.get(), 1);
  EXPECT_GE(ticks_when_released, 1) << "the io thread was blocked while the lock was held";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);  // not the 5 s busy timeout
  sqlite3_close(other);
  EXPECT_EQ(*run(db_->fetch_value<std::int64_t>("SELECT count(*) FROM counter")), 4);
}

TEST_F(SqliteInline, AnInlineReadThatOverrunsIsFinishedOnAWorker) {
  EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(kCount, 10)), 10);  // worker: prepared
  EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(kCount, 10)), 10);  // inline
  const double worker0 = statements("worker");
  int ticks = 0;
  bool stop = false;
  auto big = [&]() -> asio::awaitable<std::int64_t> {
    auto n = co_await db_->fetch_value<std::int64_t>(kCount, 3'000'000);
    stop = true;
    co_return *n;
  };
  asio::co_spawn(io_, ticker(ticks, stop), asio::detached);
  auto fut = asio::co_spawn(io_, big(), asio::use_future);
  io_.restart();
  io_.run();
  EXPECT_EQ(fut.get(), 3'000'000);               // the right answer, from a fresh run
  EXPECT_EQ(statements("worker"), worker0 + 1);  // interrupted inline, re-run on a worker
  EXPECT_GE(ticks, 1) << "the io thread was blocked by the long read";
  // Slow inline and slow again on the worker: offloaded until it has been quick 8 times in
  // a row there.
  const double worker1 = statements("worker");
  for (int i = 0; i < 8; ++i) EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(kCount, 10)), 10);
  EXPECT_EQ(statements("worker"), worker1 + 8);
  EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(kCount, 10)), 10);
  EXPECT_EQ(statements("worker"), worker1 + 8);
}

TEST_F(SqliteInline, AnIsolatedOverrunCostsOneRunOnAWorker) {
  // A write is never interrupted: one whose cost depends on its parameters runs over the
  // budget inline. Once (a run preempted by another process looks the same) it takes one
  // quick run on a worker to come back; twice in a row, eight.
  // (Both fills together stay under the 1000 WAL pages that would make a checkpoint due: a
  // run that checkpoints, or restarts the WAL after one, is never counted either way.)
  run(db_->execute("CREATE TABLE bulk (x BIGINT NOT NULL)"));
  const std::string fill =
      "INSERT INTO bulk (x) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
      "WHERE x < $1) SELECT x FROM c";
  run(db_->execute(fill, 1));  // prepared on a worker
  run(db_->execute(fill, 1));  // inline
  const double worker0 = statements("worker");
  EXPECT_EQ(run(db_->execute(fill, 150'000)), 150'000);  // inline, far over the 20 ms budget
  EXPECT_EQ(statements("worker"), worker0);
  run(db_->execute(fill, 1));  // on a worker, quick
  EXPECT_EQ(statements("worker"), worker0 + 1);
  run(db_->execute(fill, 1));  // inline again
  EXPECT_EQ(statements("worker"), worker0 + 1);
  EXPECT_EQ(run(db_->execute(fill, 150'000)), 150'000);  // over again, soon after
  for (int i = 0; i < 8; ++i) run(db_->execute(fill, 1));
  EXPECT_EQ(statements("worker"), worker0 + 9);
  run(db_->execute(fill, 1));
  EXPECT_EQ(statements("worker"), worker0 + 9);
}

TEST_F(SqliteInline, InlineCommitsStillGetTheWalCheckpointed) {
  run(db_->execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)"));
  const Blob body{std::vector<std::uint8_t>(4000, 0x5a)};
  // 3000 transactions of ~2 pages each: about 24 MB of WAL if nothing checkpointed it.
  auto fill = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3000; ++i) {
      co_await db_->transaction([&](Transaction& tx) -> asio::awaitable<void> {
        co_await tx.execute("INSERT INTO blobs (body) VALUES ($1)", body);
      });
    }
  };
  const double inline0 = statements("inline");
  run(fill());
  EXPECT_GT(statements("inline"), inline0 + 8000);  // nearly all of it ran inline
  auto wal = std::filesystem::file_size(options_.url.sqlite_path + "-wal");
  EXPECT_LT(wal, 10u * 1024 * 1024) << "WAL of " << wal << " bytes: checkpoints were skipped";
  EXPECT_EQ(*run(db_->fetch_value<std::int64_t>("SELECT count(*) FROM blobs")), 3000);
}

TEST_F(SqliteInline, TheCommitAfterACheckpointRunsOnAWorker) {
  // The first commit after a checkpoint restarts the WAL, and SQLite syncs the WAL header
  // then: that must not happen on an io thread. Driven through the driver's own calls:
  // execute_each is what a worker runs, try_execute_inline what an io thread tries.
  auto driver = make_sqlite_driver(options_);
  auto c = driver->connect(false);
  c->execute_script("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  const Params body_values{Value{Blob{std::vector<std::uint8_t>(8000, 1)}}};
  const ParamViews body(body_values);
  const std::string insert = "INSERT INTO blobs (body) VALUES ($1)";
  Connection::InlineRun done;
  auto on_worker = [&](std::string_view sql, ParamSpan params) {
    c->execute_each(sql, params, ignore_rows());
  };
  auto inline_run = [&](std::string_view sql, ParamSpan params) {
    return c->try_execute_inline(sql, params, ignore_rows(), done);
  };
  on_worker("BEGIN IMMEDIATE", {});  // each prepared (and timed) on a worker first
  on_worker(insert, body);
  on_worker("COMMIT", {});
  // Inline transactions (3 pages each) until the WAL passes the checkpoint size: the next
  // BEGIN outside a transaction is refused, and runs on a worker, which checkpoints.
  int txs = 0;
  for (; txs < 2000 && inline_run("BEGIN IMMEDIATE", {}); ++txs) {
    ASSERT_TRUE(inline_run(insert, body));
    ASSERT_TRUE(inline_run("COMMIT", {}));
  }
  ASSERT_LT(txs, 2000) << "no checkpoint came due";
  ASSERT_GT(txs, 100);
  on_worker("BEGIN IMMEDIATE", {});
  EXPECT_TRUE(inline_run(insert, body));  // inside the transaction: nothing written yet
  EXPECT_FALSE(inline_run("COMMIT", {})) << "would restart the WAL, and sync it, inline";
  on_worker("COMMIT", {});
  // Restarted on the worker: the next transaction is inline from BEGIN to COMMIT.
  EXPECT_TRUE(inline_run("BEGIN IMMEDIATE", {}));
  EXPECT_TRUE(inline_run(insert, body));
  EXPECT_TRUE(inline_run("COMMIT", {}));
  EXPECT_EQ(c->execute("SELECT count(*) FROM blobs", {}).rows[0][0], Value{std::int64_t{txs + 3}});
}

TEST_F(SqliteInline, RowsMapByTheColumnsOfEachStatement) {
  run(db_->execute("CREATE TABLE pairs (a BIGINT NOT NULL, b BIGINT)"));
  run(db_->execute("INSERT INTO pairs (a, b) VALUES (1, 2)"));
  // The same struct from statements with different column orders, alternately (each is
  // inline after its first run, with the mapping of the statement before it cached).
  for (int i = 0; i < 3; ++i) {
    auto ab = run(db_->fetch_one<Pair>("SELECT a, b FROM pairs"));
    auto ba = run(db_->fetch_one<Pair>("SELECT b, a FROM pairs"));
    ASSERT_TRUE(ab && ba);
    EXPECT_EQ(ab->a, 1);
    EXPECT_EQ(ab->b, 2);
    EXPECT_EQ(ba->a, 1);
    EXPECT_EQ(ba->b, 2);
  }
  // A schema change re-prepares `SELECT *`: its new columns are used, not the cached ones.
  auto before = run(db_->fetch_one<Pair>("SELECT * FROM pairs"));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->b, 2);
  run(db_->execute("ALTER TABLE pairs RENAME COLUMN b TO c"));
  auto after = run(db_->fetch_one<Pair>("SELECT * FROM pairs"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->a, 1);
  EXPECT_FALSE(after->b) << "mapped a column that no longer exists";
  run(db_->execute("ALTER TABLE pairs RENAME COLUMN a TO z"));
  try {
    run(db_->fetch_one<Pair>("SELECT * FROM pairs"));
    FAIL() << "a required column went missing without an error";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::mapping) << e.what();
  }
}

TEST_F(SqliteInline, ErrorsOfInlineStatementsAreTheSameTypedErrors) {
  const std::string insert = "INSERT INTO counter (id, n) VALUES ($1, $2)";
  run(db_->execute(insert, 2, 0));
  run(db_->execute(insert, 3, 0));  // inline from here on
  try {
    run(db_->execute(insert, 2, 5));
    FAIL() << "duplicate key accepted";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unique_violation) << e.what();
  }
  try {
    run(db_->execute(insert, 9));
    FAIL() << "missing parameter accepted";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::query) << e.what();
  }
  EXPECT_EQ(*run(db_->fetch_value<std::int64_t>("SELECT count(*) FROM counter")), 3);
}

}  // namespace
}  // namespace mmx::db
