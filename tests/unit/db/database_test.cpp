// The same suite on SQLite and on a real PostgreSQL (started by tests/harness): CRUD and
// row mapping, transactions (commit, rollback on exception and on cancellation), bounded
// retries of serialization failures under concurrent writers, constraint errors, the pool's
// wait limit, and readiness after a server restart.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe.hpp>
#include <cstring>
#include <thread>

#include "db_test_support.hpp"
#include "mmx/db/errors.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::db {

enum class Status { draft, live, retired };
BOOST_DESCRIBE_ENUM(Status, draft, live, retired)

struct Tag {
  std::string label;
};
BOOST_DESCRIBE_STRUCT(Tag, (), (label))

struct Item {
  std::int64_t id = 0;
  std::string name;
  std::int64_t price_cents = 0;
  bool active = false;
  std::optional<std::string> note;
  dto::TimePoint created_at{};
  Status status = Status::draft;
  std::vector<Tag> tags;
  double weight = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (),
                      (id, name, price_cents, active, note, created_at, status, tags, weight))

struct TextRow {
  std::string a, b, c;
};
BOOST_DESCRIBE_STRUCT(TextRow, (), (a, b, c))

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class DatabaseSuite : public ::testing::TestWithParam<std::string>, protected test::DbHarness {
 protected:
  void SetUp() override {
    std::string url = test::fresh_database_url(GetParam(), tmpdir_);
    if (url.empty())
      GTEST_SKIP() << "no PostgreSQL: run through tests/harness/with_servers.py --postgres";
    options_.name = "test";
    options_.url = parse_database_url(url);
    options_.pool_size = 4;
    db_ = open();
    run(db_->execute(
        "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, price_cents "
        "BIGINT NOT NULL CHECK (price_cents >= 0), active BOOLEAN NOT NULL, note TEXT, "
        "created_at TEXT NOT NULL, status TEXT NOT NULL, tags TEXT NOT NULL, weight DOUBLE "
        "PRECISION NOT NULL)"));
    run(db_->execute("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)"));
    run(db_->execute("INSERT INTO counter (id, n) VALUES (1, 0)"));
  }
  void TearDown() override {
    db_.reset();
    // A connection left in a failed transaction is rolled back and closed on a worker:
    // let that finish before its files go.
    workers_.stop();
    if (!tmpdir_.empty()) std::filesystem::remove_all(tmpdir_);
  }

  static Item item(std::int64_t id, std::string name) {
    Item it;
    it.id = id;
    it.name = std::move(name);
    it.price_cents = 999;
    it.active = true;
    it.created_at = *dto::parse_date_time("2026-11-24T10:00:00.25Z");
    it.status = Status::live;
    it.tags = {{"new"}, {"sale"}};
    it.weight = 1.5;
    return it;
  }

  asio::awaitable<std::int64_t> insert(Session& s, const Item& it) {
    co_return co_await s.execute(
        "INSERT INTO items (id, name, price_cents, active, note, created_at, status, tags, weight) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        it.id, it.name, it.price_cents, it.active, it.note, it.created_at, it.status, it.tags,
        it.weight);
  }

  std::int64_t count_items() {
    return *run(db_->fetch_value<std::int64_t>("SELECT count(*) FROM items"));
  }

  std::filesystem::path tmpdir_;
  std::shared_ptr<Database> db_;
};

TEST_P(DatabaseSuite, InsertsAndReadsBackEveryMappedType) {
  Item a = item(1, "lamp \"O'Brien\" — ünïcode");
  a.note = "fragile";
  EXPECT_EQ(run(insert(*db_, a)), 1);
  auto got = run(db_->fetch_one<Item>("SELECT * FROM items WHERE id = $1", 1));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, a.name);
  EXPECT_EQ(got->price_cents, 999);
  EXPECT_TRUE(got->active);
  EXPECT_EQ(got->note, "fragile");
  EXPECT_EQ(got->created_at, a.created_at);
  EXPECT_EQ(got->status, Status::live);
  ASSERT_EQ(got->tags.size(), 2u);
  EXPECT_EQ(got->tags[1].label, "sale");
  EXPECT_DOUBLE_EQ(got->weight, 1.5);

  Item b = item(2, "desk");  // NULL note
  run(insert(*db_, b));
  auto all = run(db_->fetch_all<Item>("SELECT * FROM items ORDER BY id"));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[1].note.has_value());
  EXPECT_FALSE(run(db_->fetch_one<Item>("SELECT * FROM items WHERE id = $1", 42)).has_value());
}

TEST_P(DatabaseSuite, ParametersMayRepeatAndComeInAnyOrder) {
  run(insert(*db_, item(1, "a")));
  auto n = run(db_->fetch_value<std::int64_t>(
      "SELECT count(*) FROM items WHERE name = $2 AND id = $1 AND id < $1 + 1", 1, "a"));
  EXPECT_EQ(n, 1);
}

TEST_P(DatabaseSuite, UpdateAndDeleteReportAffectedRows) {
  run(insert(*db_, item(1, "a")));
  run(insert(*db_, item(2, "b")));
  EXPECT_EQ(run(db_->execute("UPDATE items SET price_cents = price_cents + $1", 1)), 2);
  EXPECT_EQ(run(db_->execute("DELETE FROM items WHERE id = $1", 2)), 1);
  EXPECT_EQ(run(db_->execute("DELETE FROM items WHERE id = $1", 2)), 0);
  EXPECT_EQ(*run(db_->fetch_value<std::int64_t>("SELECT price_cents FROM items WHERE id = 1")),
            1000);
}

TEST_P(DatabaseSuite, ConstraintViolationsAreTypedAndChangeNothing) {
  run(insert(*db_, item(1, "a")));
  try {
    run(insert(*db_, item(2, "a")));
    FAIL() << "duplicate name accepted";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unique_violation) << e.what();
  }
  Item neg = item(3, "neg");
  neg.price_cents = -1;
  try {
    run(insert(*db_, neg));
    FAIL() << "negative price accepted";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::constraint) << e.what();
  }
  EXPECT_EQ(count_items(), 1);
  EXPECT_NE(metrics_.render().find("mmx_db_errors_total{db=\"test\",kind=\"unique_violation\"} 1"),
            std::string::npos);
}

TEST_P(DatabaseSuite, SyntaxErrorsAndBadMappingsAreClearErrors) {
  try {
    run(db_->execute("SELEKT 1"));
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::query);
  }
  try {
    run(db_->fetch_all<Item>("SELECT id, name FROM items"));
    FAIL();
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::mapping);
    EXPECT_NE(std::string(e.what()).find("price_cents"), std::string::npos) << e.what();
  }
}

TEST_P(DatabaseSuite, TransactionCommits) {
  run(db_->transaction([&](Transaction& tx) -> asio::awaitable<void> {
    co_await insert(tx, item(1, "a"));
    co_await insert(tx, item(2, "b"));
  }));
  EXPECT_EQ(count_items(), 2);
}

TEST_P(DatabaseSuite, TransactionReturnsTheFunctionsValue) {
  auto n = run(db_->transaction([&](Transaction& tx) -> asio::awaitable<std::int64_t> {
    co_await insert(tx, item(1, "a"));
    auto c = co_await tx.fetch_value<std::int64_t>("SELECT count(*) FROM items");
    co_return *c;
  }));
  EXPECT_EQ(n, 1);
}

TEST_P(DatabaseSuite, ExceptionRollsBackEverything) {
  EXPECT_THROW(run(db_->transaction([&](Transaction& tx) -> asio::awaitable<void> {
                 co_await insert(tx, item(1, "a"));
                 throw std::runtime_error("handler failed");
               })),
               std::runtime_error);
  EXPECT_EQ(count_items(), 0);
  // The connection came back clean: a new transaction works.
  run(db_->transaction(
      [&](Transaction& tx) -> asio::awaitable<void> { co_await insert(tx, item(2, "b")); }));
  EXPECT_EQ(count_items(), 1);
}

TEST_P(DatabaseSuite, CancellationRollsBack) {
  asio::cancellation_signal cancel;
  bool inserted = false;
  auto work = [&]() -> asio::awaitable<void> {
    co_await db_->transaction([&](Transaction& tx) -> asio::awaitable<void> {
      co_await insert(tx, item(1, "a"));
      inserted = true;
      asio::steady_timer forever(co_await asio::this_coro::executor, 1h);
      co_await forever.async_wait(asio::use_awaitable);
    });
  };
  auto fut =
      asio::co_spawn(io_, work(), asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
  io_.restart();
  while (!inserted) io_.run_one();
  cancel.emit(asio::cancellation_type::terminal);
  io_.run();
  EXPECT_THROW(fut.get(), boost::system::system_error);
  EXPECT_EQ(count_items(), 0);
  run(db_->transaction(
      [&](Transaction& tx) -> asio::awaitable<void> { co_await insert(tx, item(2, "b")); }));
  EXPECT_EQ(count_items(), 1);
}

TEST_P(DatabaseSuite, ExplicitRollbackAndFinishedTransactions) {
  auto tx = run(db_->begin());
  run(insert(tx, item(1, "a")));
  run(tx.rollback());
  EXPECT_FALSE(tx.open());
  EXPECT_THROW(run(tx.execute("SELECT 1")), DbError);
  EXPECT_EQ(count_items(), 0);
}

// 40 concurrent read-modify-write transactions on one row. SQLite serialises writers; on
// PostgreSQL SERIALIZABLE makes the losers fail with 40001, and the retry re-runs them.
TEST_P(DatabaseSuite, ConcurrentWritersLoseNoUpdate) {
  options_.max_retries = 100;
  db_ = open();
  const int writers = 40;
  auto one = [&]() -> asio::awaitable<void> {
    co_await db_->transaction([&](Transaction& tx) -> asio::awaitable<void> {
      if (tx.dialect() == Dialect::postgresql)
        co_await tx.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
      auto n = co_await tx.fetch_value<std::int64_t>("SELECT n FROM counter WHERE id = 1");
      co_await tx.execute("UPDATE counter SET n = $1 WHERE id = 1", *n + 1);
    });
  };
  std::vector<std::future<void>> futs;
  for (int i = 0; i < writers; ++i) futs.push_back(asio::co_spawn(io_, one(), asio::use_future));
  io_.restart();
  io_.run();
  for (auto& f : futs) f.get();
  EXPECT_EQ(*run(db_->fetch_value<std::int64_t>("SELECT n FROM counter WHERE id = 1")), writers);
}

TEST_P(DatabaseSuite, SerializationFailuresGiveUpAfterTheRetryLimit) {
  options_.max_retries = 2;
  db_ = open();
  int calls = 0;
  EXPECT_THROW(run(db_->transaction([&](Transaction&) -> asio::awaitable<void> {
                 ++calls;
                 throw DbError(ErrorKind::serialization, "could not serialize access");
                 co_return;
               })),
               DbError);
  EXPECT_EQ(calls, 3);
  EXPECT_NE(metrics_.render().find("mmx_db_transaction_retries_total{db=\"test\"} 2"),
            std::string::npos);
}

TEST_P(DatabaseSuite, PoolWaitIsBounded) {
  options_.pool_size = 1;
  options_.pool_wait = 150ms;
  db_ = open();
  auto holder = run(db_->begin());  // holds the only writer connection
  auto t0 = std::chrono::steady_clock::now();
  try {
    run(db_->begin());
    FAIL() << "second transaction got a connection";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  run(holder.commit());
  auto again = run(db_->begin());  // the connection came back
  run(again.commit());
}

TEST_P(DatabaseSuite, ManyConcurrentReadsShareThePool) {
  for (int i = 1; i <= 20; ++i) run(insert(*db_, item(i, "n" + std::to_string(i))));
  std::vector<std::future<std::vector<Item>>> futs;
  for (int i = 0; i < 64; ++i)
    futs.push_back(asio::co_spawn(
        io_, db_->fetch_all<Item>("SELECT * FROM items WHERE id > $1", 10), asio::use_future));
  io_.restart();
  io_.run();
  for (auto& f : futs) EXPECT_EQ(f.get().size(), 10u);
  auto s = db_->stats();
  EXPECT_EQ(s.busy, 0u);
  EXPECT_EQ(s.waiting, 0u);
}

TEST_P(DatabaseSuite, PingAndMetrics) {
  EXPECT_TRUE(run(db_->ping()));
  auto text = metrics_.render();
  EXPECT_NE(text.find("mmx_db_query_duration_seconds_count{db=\"test\"}"), std::string::npos);
  EXPECT_NE(text.find("mmx_db_pool_wait_seconds_count{db=\"test\"}"), std::string::npos);
  EXPECT_NE(text.find("mmx_db_connections{db=\"test\",state=\"idle\"}"), std::string::npos);
}

// Reused for other SQL at the same address (static storage, so taken like a literal).
char g_sql_buffer[] = "SELECT 1 AS n";
// The same text as a std::string elsewhere: two call sites, one statement.
constexpr char kCounterSql[] = "SELECT n FROM counter WHERE id = $1";

TEST_P(DatabaseSuite, AStatementStartedLaterOwnsItsSqlAndParameters) {
  run(insert(*db_, item(1, "a")));
  std::future<std::optional<Item>> fut;
  {
    std::string sql = "SELECT * FROM items WHERE name = $1";
    std::string name = "a";
    fut = asio::co_spawn(io_, db_->fetch_one<Item>(sql, name), asio::use_future);
    // Changed, then gone, before the statement starts: it must have copied both.
    sql.assign(sql.size(), 'x');
    name = "zz";
  }
  io_.restart();
  io_.run();
  auto row = fut.get();
  ASSERT_TRUE(row);
  EXPECT_EQ(row->id, 1);
}

TEST_P(DatabaseSuite, TextParametersOfEverySizeRoundTrip) {
  // Short text lives in the statement's frame, longer text spills to the heap (Args): every
  // mix of the two, through both drivers, inline and on a worker, and started later.
  run(db_->execute("CREATE TABLE texts (id BIGINT PRIMARY KEY, a TEXT, b TEXT, c TEXT)"));
  const std::vector<std::size_t> sizes = {0, 1, 100, 239, 240, 1000, 100000};
  std::int64_t id = 0;
  for (std::size_t sa : sizes) {
    for (std::size_t sb : sizes) {
      const std::string a(sa, 'a'), b(sb, static_cast<char>('b' + sb % 20));
      const std::string c = "ünïcode " + std::to_string(sa) + "/" + std::to_string(sb);
      ++id;
      ASSERT_EQ(run(db_->execute("INSERT INTO texts (id, a, b, c) VALUES ($1, $2, $3, $4)", id, a,
                                 std::string_view(b), c.c_str())),
                1);
      auto got = run(db_->fetch_one<TextRow>(
          "SELECT a, b, c FROM texts WHERE id = $1 AND a = $2 AND b = $3", id, a, b));
      ASSERT_TRUE(got) << sa << "/" << sb;
      EXPECT_EQ(got->a, a);
      EXPECT_EQ(got->b, b);
      EXPECT_EQ(got->c, c);
    }
  }
  // The same through a parameter vector (db::Where and the *_params methods).
  auto n = run(db_->fetch_value_params<std::int64_t>(
      "SELECT count(*) FROM texts WHERE a = $1 OR b = $2",
      make_params(std::string(100000, 'a'), std::string(240, 'b'))));
  EXPECT_EQ(n, static_cast<std::int64_t>(2 * sizes.size() - 1));
  // Started after the caller's strings changed and went away: the frame owns its copies.
  std::future<std::optional<std::int64_t>> fut;
  {
    std::string longer(1000, 'a');
    std::string shorter(1, 'c');
    fut = asio::co_spawn(io_,
                         db_->fetch_value<std::int64_t>(
                             "SELECT id FROM texts WHERE a = $1 AND b = $2", longer, shorter),
                         asio::use_future);
    longer.assign(longer.size(), 'z');
    shorter = "zz";
  }
  io_.restart();
  io_.run();
  EXPECT_EQ(fut.get(), std::optional<std::int64_t>(5 * sizes.size() + 2));
}

TEST_P(DatabaseSuite, SqlAtAnAddressSeenBeforeIsReadAgainEachTime) {
  // Statements are found by the text's address first; a buffer now holding other SQL must
  // not get the statement of what it held before (3 rounds: prepared on a worker, then
  // inline on SQLite).
  for (int round = 0; round < 3; ++round) {
    std::memcpy(g_sql_buffer, "SELECT 1 AS n", sizeof g_sql_buffer);
    EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(g_sql_buffer)), 1);
    std::memcpy(g_sql_buffer, "SELECT 2 AS n", sizeof g_sql_buffer);
    EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(g_sql_buffer)), 2);
  }
  // The same text from two places (a literal and a std::string): both read the right row.
  run(db_->execute("UPDATE counter SET n = 7 WHERE id = 1"));
  const std::string copy = kCounterSql;
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(kCounterSql, 1)), 7);
    EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(copy, 1)), 7);
    EXPECT_FALSE(run(db_->fetch_value<std::int64_t>(copy, 2)));
  }
}

TEST_P(DatabaseSuite, FetchOneOfAWriteRunsItToTheEnd) {
  for (int i = 1; i <= 3; ++i) run(insert(*db_, item(i, "n" + std::to_string(i))));
  // fetch_one wants one row; a read may stop there, a write must still change every row
  // (3 rounds: on a worker, then inline on SQLite).
  for (int round = 1; round <= 3; ++round) {
    auto first = run(db_->fetch_one<Tag>(
        "UPDATE items SET price_cents = price_cents + 1 RETURNING name AS label"));
    ASSERT_TRUE(first);
    EXPECT_EQ(*run(db_->fetch_value<std::int64_t>(
                  "SELECT count(*) FROM items WHERE price_cents = $1", 999 + round)),
              3);
  }
  for (int round = 0; round < 3; ++round) {
    auto one = run(db_->fetch_one<Tag>("SELECT name AS label FROM items ORDER BY id"));
    ASSERT_TRUE(one);
    EXPECT_EQ(one->label, "n1");
    auto id = run(db_->fetch_value<std::int64_t>("SELECT id FROM items ORDER BY id DESC"));
    EXPECT_EQ(*id, 3);
  }
}

TEST_P(DatabaseSuite, SeveralDatabasesShareOneHeaderPerMetricFamily) {
  // Prometheus rejects a scrape with a second TYPE line for a name.
  auto other_options = options_;
  other_options.name = "other";
  auto other = Database::open(other_options, workers_, &metrics_);
  other->connect();
  EXPECT_TRUE(run(db_->ping()));
  EXPECT_TRUE(run(other->ping()));
  EXPECT_TRUE(run(other->ping()));
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  auto text = metrics_.render();
  for (const char* family :
       {"mmx_db_query_duration_seconds", "mmx_db_pool_wait_seconds", "mmx_db_statements_total",
        "mmx_db_connections", "mmx_db_pool_waiting", "mmx_db_pool_queued_total"})
    EXPECT_EQ(count(text, std::string("# TYPE ") + family + " "), 1u) << family;
  EXPECT_EQ(count(text, "mmx_db_query_duration_seconds_count{db=\"test\"}"), 1u);
  EXPECT_EQ(count(text, "mmx_db_query_duration_seconds_count{db=\"other\"} 2"), 1u) << text;
  other.reset();
  text = metrics_.render();
  EXPECT_EQ(count(text, "mmx_db_query_duration_seconds_count{db=\"other\"}"), 0u);
  EXPECT_EQ(count(text, "mmx_db_connections{db=\"other\""), 0u);
  EXPECT_EQ(count(text, "mmx_db_query_duration_seconds_count{db=\"test\"}"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Dialects, DatabaseSuite, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// --- PostgreSQL only -------------------------------------------------------------------

class PostgresRestart : public DatabaseSuite {};

TEST_P(PostgresRestart, PoolRecoversAfterAServerRestart) {
  run(insert(*db_, item(1, "a")));
  EXPECT_EQ(count_items(), 1);  // leaves idle connections in the pool
  test::server_control("postgres", "restart");
  // Reads re-run once on a fresh connection; BEGIN likewise: both work at once.
  EXPECT_EQ(count_items(), 1);
  run(db_->transaction(
      [&](Transaction& tx) -> asio::awaitable<void> { co_await insert(tx, item(2, "b")); }));
  EXPECT_EQ(count_items(), 2);
}

TEST_P(PostgresRestart, StartupWaitsForAServerThatIsStarting) {
  test::server_control("postgres", "stop");
  // PostgreSQL takes a moment to start: connect() sees it refused first, then retries.
  std::thread starter([] { test::server_control("postgres", "start"); });
  options_.connect_wait = 30s;
  EXPECT_NO_THROW(open());
  starter.join();
}

TEST_P(PostgresRestart, UnreachableServerFailsWithinTheWait) {
  test::server_control("postgres", "stop");
  options_.connect_wait = 500ms;
  auto t0 = std::chrono::steady_clock::now();
  try {
    open();
    FAIL() << "connected to a stopped server";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::unavailable) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  test::server_control("postgres", "start");
}

INSTANTIATE_TEST_SUITE_P(Dialects, PostgresRestart, ::testing::Values("postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace mmx::db
