// The PostgreSQL driver against a real server, below the async layer: make_postgres_driver
// and blocking calls only. tests/harness/with_servers.py --postgres starts a private
// server and exports MMX_TEST_POSTGRES_URL (a superuser URL); without it the suite skips.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../../harness/control.hpp"
#include "mmx/db/drivers.hpp"
#include "mmx/db/errors.hpp"

using namespace mmx::db;
using namespace std::chrono_literals;

namespace {

// The pieces of MMX_TEST_POSTGRES_URL, so tests can build URLs for other databases,
// ports and passwords.
struct Server {
  std::string user, password, host, port;

  std::string url(const std::string& db, const std::string& pw) const {
    return "postgresql://" + user + ":" + pw + "@" + host + ":" + port + "/" + db;
  }
};

std::unique_ptr<Server> server_from_env() {
  const auto env = mmx::test::test_url("MMX_TEST_POSTGRES_URL");
  if (!env) return nullptr;
  const std::string& u = *env;
  const auto scheme = u.find("://");
  const auto at = u.rfind('@');
  const auto slash = u.find('/', at);
  if (scheme == std::string::npos || at == std::string::npos || slash == std::string::npos)
    return nullptr;
  const std::string userinfo = u.substr(scheme + 3, at - scheme - 3);
  const std::string hostport = u.substr(at + 1, slash - at - 1);
  auto s = std::make_unique<Server>();
  s->user = userinfo.substr(0, userinfo.find(':'));
  s->password =
      userinfo.find(':') == std::string::npos ? "" : userinfo.substr(userinfo.find(':') + 1);
  s->host = hostport.substr(0, hostport.rfind(':'));
  s->port = hostport.substr(hostport.rfind(':') + 1);
  return s;
}

constexpr const char* kTestDb = "mmx_pg_driver_test";

DatabaseOptions options_for(const Server& s, const std::string& db = kTestDb,
                            const std::string& schema = {}, const std::string* password = nullptr) {
  DatabaseOptions o;
  o.name = "pgtest";
  o.url.dialect = Dialect::postgresql;
  o.url.conninfo = s.url(db, password ? *password : s.password);
  o.url.redacted = s.url(db, "***");
  o.url.schema = schema;
  o.connect_wait = 3s;
  return o;
}

template <class F>
DbError error_of(F&& f) {
  try {
    f();
  } catch (const DbError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a DbError";
  return DbError(ErrorKind::configuration, "(no error thrown)");
}

std::int64_t int_at(const Result& r, std::size_t row = 0, std::size_t col = 0) {
  return std::get<std::int64_t>(r.rows.at(row).at(col));
}
std::string text_at(const Result& r, std::size_t row = 0, std::size_t col = 0) {
  return std::get<std::string>(r.rows.at(row).at(col));
}

// A loopback port with nothing listening: bound by the kernel, then released.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class PostgresDriverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = server_from_env().release();
    if (!server_) return;
    // A fresh database per run: the harness gives a fresh server, a hand-started one may
    // still hold the last run's tables.
    auto admin = make_postgres_driver(options_for(*server_, "postgres"))->connect(false);
    admin->execute_script(std::string("DROP DATABASE IF EXISTS ") + kTestDb + " WITH (FORCE)");
    admin->execute_script(std::string("CREATE DATABASE ") + kTestDb);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!server_) GTEST_SKIP() << "MMX_TEST_POSTGRES_URL is not set (run through with_servers.py)";
    driver_ = make_postgres_driver(options_for(*server_));
    conn_ = driver_->connect(false);
  }

  static Server* server_;
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<Connection> conn_;
};
Server* PostgresDriverTest::server_ = nullptr;

TEST_F(PostgresDriverTest, DescribesItself) {
  EXPECT_EQ(driver_->dialect(), Dialect::postgresql);
  EXPECT_FALSE(driver_->separate_readers());
  EXPECT_EQ(driver_->begin_sql(), "BEGIN");
  EXPECT_EQ(driver_->display_name(), server_->url(kTestDb, "***"));
  EXPECT_TRUE(conn_->healthy());
}

TEST_F(PostgresDriverTest, SessionIsUtcWithTimeoutAndApplicationName) {
  auto r = conn_->execute(
      "SELECT current_setting('TimeZone'), current_setting('statement_timeout'), "
      "current_setting('application_name'), current_setting('DateStyle'), "
      "current_setting('default_transaction_read_only')",
      {});
  EXPECT_EQ(text_at(r, 0, 0), "UTC");
  EXPECT_EQ(text_at(r, 0, 1), "30s");
  EXPECT_EQ(text_at(r, 0, 2), "micromax-pgtest");
  EXPECT_EQ(text_at(r, 0, 3), "ISO, YMD");
  EXPECT_EQ(text_at(r, 0, 4), "off");
}

TEST_F(PostgresDriverTest, ReadOnlyConnectionRefusesWrites) {
  conn_->execute_script("CREATE TABLE ro_t (x int)");
  auto ro = driver_->connect(true);
  EXPECT_EQ(ro->execute("SELECT count(*) FROM ro_t", {}).rows.size(), 1u);
  auto e = error_of([&] { ro->execute("INSERT INTO ro_t VALUES (1)", {}); });
  EXPECT_EQ(e.kind(), ErrorKind::query) << e.what();
  EXPECT_EQ(e.sqlstate(), "25006");
  EXPECT_TRUE(ro->healthy());
}

TEST_F(PostgresDriverTest, RoundTripsEveryValueType) {
  conn_->execute_script(
      "CREATE TABLE values_t (id int PRIMARY KEY, i bigint, d double precision, b boolean, "
      "t text, y bytea)");
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  const std::string text = "h\xC3\xA9llo 'single' \"double\" \\ back \xE2\x9C\x93 \xF0\x9F\x98\x80";
  const Blob blob{{0x00, 0x01, 0x00, 0xFF, 0x5C, 0x27, 0x00}};
  const std::vector<Params> rows = {
      {std::int64_t{1}, lo, 0.1, true, text, blob},
      {std::int64_t{2}, hi, -1.5e300, false, std::string(), Blob{}},
      {std::int64_t{3}, std::int64_t{0}, 5e-324, true, std::string("x"), Blob{{0x00}}},
      {std::int64_t{4}, std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{},
       std::monostate{}},
  };
  for (const Params& p : rows) {
    auto r = conn_->execute(
        "INSERT INTO values_t (id, i, d, b, t, y) VALUES ($1, $2, $3, $4, $5, $6)", p);
    EXPECT_EQ(r.affected, 1);
  }
  auto r = conn_->execute("SELECT id, i, d, b, t, y FROM values_t ORDER BY id", {});
  ASSERT_EQ(r.size(), rows.size());
  EXPECT_EQ(r.columns, (std::vector<std::string>{"id", "i", "d", "b", "t", "y"}));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t c = 0; c < rows[i].size(); ++c)
      EXPECT_EQ(r.rows[i][c], rows[i][c]) << "row " << i << " column " << r.columns[c];
  }
  // Looked up by value, too: the parameters compare as the column types.
  auto found = conn_->execute("SELECT id FROM values_t WHERE i = $1 AND t = $2 AND y = $3",
                              {lo, text, blob});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(int_at(found), 1);
}

TEST_F(PostgresDriverTest, UntypedParametersComeBackTyped) {
  auto r = conn_->execute(
      "SELECT $1, $2, $3, $4, $5, $6",
      {std::int64_t{42}, 2.5, true, std::string("s"), Blob{{1, 2}}, std::monostate{}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.rows[0][0], Value(std::int64_t{42}));
  EXPECT_EQ(r.rows[0][1], Value(2.5));
  EXPECT_EQ(r.rows[0][2], Value(true));
  EXPECT_EQ(r.rows[0][3], Value(std::string("s")));
  EXPECT_EQ(r.rows[0][4], Value(Blob{{1, 2}}));
  EXPECT_TRUE(is_null(r.rows[0][5]));
  // int8 arithmetic, not int4: a 32-bit inference would overflow here.
  EXPECT_EQ(int_at(conn_->execute("SELECT $1 * 1000", {std::int64_t{3'000'000}})), 3'000'000'000);
  // Functions that take "any" need a known type.
  EXPECT_EQ(text_at(conn_->execute("SELECT jsonb_build_object('k', $1)::text", {std::int64_t{7}})),
            "{\"k\": 7}");
  // Special doubles survive the text protocol.
  auto s = conn_->execute("SELECT $1, $2", {std::numeric_limits<double>::infinity(), -0.0});
  EXPECT_EQ(std::get<double>(s.rows[0][0]), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::signbit(std::get<double>(s.rows[0][1])));
}

TEST_F(PostgresDriverTest, StringsReachTypedColumnsAndSmallIntegerColumns) {
  conn_->execute_script(
      "CREATE TABLE typed_t (ts timestamptz, j jsonb, u uuid, n numeric, d date, s smallint, "
      "i int)");
  auto r =
      conn_->execute("INSERT INTO typed_t VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     {std::string("2026-01-02T03:04:05.5+02:00"), std::string("{\"a\": [1, 2]}"),
                      std::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), 0.1,
                      std::string("2026-02-03"), std::int64_t{7}, std::int64_t{8}});
  EXPECT_EQ(r.affected, 1);
  auto row =
      conn_->execute("SELECT ts, j, u, n, d, s, i FROM typed_t WHERE i = $1", {std::int64_t{8}});
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(text_at(row, 0, 0), "2026-01-02T01:04:05.5Z");
  EXPECT_EQ(text_at(row, 0, 1), "{\"a\": [1, 2]}");
  EXPECT_EQ(text_at(row, 0, 2), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(text_at(row, 0, 3), "0.1");
  EXPECT_EQ(text_at(row, 0, 4), "2026-02-03");
  EXPECT_EQ(int_at(row, 0, 5), 7);
  EXPECT_EQ(int_at(row, 0, 6), 8);
}

TEST_F(PostgresDriverTest, TimestampsAreRfc3339) {
  auto r = conn_->execute(
      "SELECT '2026-11-24 17:58:07.25+00'::timestamptz, '2026-11-24 17:58:07+05:30'::timestamptz, "
      "'2026-11-24 17:58:07.123456'::timestamp, 'infinity'::timestamptz, "
      "'2026-11-24 17:58:07.25+00'::timestamptz AT TIME ZONE 'UTC'",
      {});
  EXPECT_EQ(text_at(r, 0, 0), "2026-11-24T17:58:07.25Z");
  EXPECT_EQ(text_at(r, 0, 1), "2026-11-24T12:28:07Z");
  EXPECT_EQ(text_at(r, 0, 2), "2026-11-24T17:58:07.123456Z");
  EXPECT_EQ(text_at(r, 0, 3), "infinity");
  EXPECT_EQ(text_at(r, 0, 4), "2026-11-24T17:58:07.25Z");
  // A session that switched zone keeps the offset, in RFC 3339 form.
  conn_->execute_script("BEGIN; SET LOCAL TimeZone = 'Asia/Kolkata'");
  auto local = conn_->execute("SELECT '2026-11-24 12:00:00+00'::timestamptz", {});
  conn_->execute_script("COMMIT");
  EXPECT_EQ(text_at(local), "2026-11-24T17:30:00+05:30");
}

TEST_F(PostgresDriverTest, NumericIsExactText) {
  auto r = conn_->execute(
      "SELECT 12345678901234567890.123456789::numeric, $1::numeric(10,2), 'NaN'::numeric",
      {std::string("9.99")});
  EXPECT_EQ(text_at(r, 0, 0), "12345678901234567890.123456789");
  EXPECT_EQ(text_at(r, 0, 1), "9.99");
  EXPECT_EQ(text_at(r, 0, 2), "NaN");
  auto f = conn_->execute("SELECT 0.1::float4, 0.1::float8", {});
  EXPECT_EQ(std::get<double>(f.rows[0][0]), 0.1);  // shortest float4 text, read as double
  EXPECT_EQ(std::get<double>(f.rows[0][1]), 0.1);
}

TEST_F(PostgresDriverTest, ParametersCanRepeatAndComeOutOfOrder) {
  auto r = conn_->execute("SELECT $2::text || '-' || $1::text, $1 + $1, $2",
                          {std::int64_t{21}, std::string("b")});
  EXPECT_EQ(text_at(r, 0, 0), "b-21");
  EXPECT_EQ(int_at(r, 0, 1), 42);
  EXPECT_EQ(text_at(r, 0, 2), "b");
  // int4-only functions need a cast, because integers are sent as int8.
  EXPECT_EQ(text_at(conn_->execute("SELECT substr('hello', $1::int)", {std::int64_t{2}})), "ello");
}

TEST_F(PostgresDriverTest, AffectedCounts) {
  conn_->execute_script("CREATE TABLE counts_t (id int PRIMARY KEY, v text)");
  EXPECT_EQ(conn_->execute("INSERT INTO counts_t VALUES (1, 'a'), (2, 'b'), (3, 'c')", {}).affected,
            3);
  EXPECT_EQ(conn_
                ->execute("UPDATE counts_t SET v = $1 WHERE id >= $2",
                          {std::string("z"), std::int64_t{2}})
                .affected,
            2);
  EXPECT_EQ(conn_->execute("UPDATE counts_t SET v = 'q' WHERE id > 100", {}).affected, 0);
  EXPECT_EQ(conn_->execute("DELETE FROM counts_t WHERE id = $1", {std::int64_t{1}}).affected, 1);
  auto sel = conn_->execute("SELECT id FROM counts_t ORDER BY id", {});
  EXPECT_EQ(sel.size(), 2u);
  EXPECT_EQ(sel.affected, 0);  // reads change nothing
  auto ret = conn_->execute("INSERT INTO counts_t VALUES (9, 'n') RETURNING id, v", {});
  EXPECT_EQ(ret.affected, 1);
  EXPECT_EQ(int_at(ret), 9);
  EXPECT_EQ(conn_->execute("CREATE INDEX counts_v ON counts_t (v)", {}).affected, 0);
}

TEST_F(PostgresDriverTest, ConstraintViolations) {
  conn_->execute_script(
      "CREATE TABLE parent_t (id int PRIMARY KEY, email text UNIQUE);"
      "CREATE TABLE child_t (id int PRIMARY KEY, parent int REFERENCES parent_t(id),"
      "  qty int CHECK (qty > 0), name text NOT NULL DEFAULT 'n');"
      "INSERT INTO parent_t VALUES (1, 'a@example.com')");
  auto dup = error_of([&] {
    conn_->execute("INSERT INTO parent_t VALUES ($1, $2)",
                   {std::int64_t{2}, std::string("a@example.com")});
  });
  EXPECT_EQ(dup.kind(), ErrorKind::unique_violation) << dup.what();
  EXPECT_EQ(dup.sqlstate(), "23505");
  EXPECT_NE(std::string(dup.what()).find("parent_t_email_key"), std::string::npos) << dup.what();
  EXPECT_NE(std::string(dup.what()).find("23505"), std::string::npos) << dup.what();
  // The server's DETAIL carries the row's values (an email here): kept out of messages.
  EXPECT_EQ(std::string(dup.what()).find("a@example.com"), std::string::npos) << dup.what();

  auto fk = error_of(
      [&] { conn_->execute("INSERT INTO child_t (id, parent, qty) VALUES (1, 99, 1)", {}); });
  EXPECT_EQ(fk.kind(), ErrorKind::constraint) << fk.what();
  EXPECT_EQ(fk.sqlstate(), "23503");
  auto check = error_of(
      [&] { conn_->execute("INSERT INTO child_t (id, parent, qty) VALUES (1, 1, 0)", {}); });
  EXPECT_EQ(check.kind(), ErrorKind::constraint) << check.what();
  EXPECT_EQ(check.sqlstate(), "23514");
  auto not_null = error_of(
      [&] { conn_->execute("INSERT INTO child_t (id, qty, name) VALUES (1, 1, NULL)", {}); });
  EXPECT_EQ(not_null.kind(), ErrorKind::constraint) << not_null.what();
  EXPECT_EQ(not_null.sqlstate(), "23502");
  EXPECT_TRUE(conn_->healthy());  // a rejected statement does not spoil the connection
}

TEST_F(PostgresDriverTest, QueryErrors) {
  auto syntax = error_of([&] { conn_->execute("SELEC 1", {}); });
  EXPECT_EQ(syntax.kind(), ErrorKind::query);
  EXPECT_EQ(syntax.sqlstate(), "42601");
  EXPECT_EQ(std::string(syntax.what()), "syntax error at or near \"SELEC\" (SQLSTATE 42601)");
  auto missing = error_of([&] { conn_->execute("SELECT * FROM no_such_table", {}); });
  EXPECT_EQ(missing.kind(), ErrorKind::query);
  EXPECT_EQ(missing.sqlstate(), "42P01");
  auto bad_value = error_of([&] { conn_->execute("SELECT $1::int", {std::string("x")}); });
  EXPECT_EQ(bad_value.kind(), ErrorKind::query);
  EXPECT_EQ(bad_value.sqlstate(), "22P02");
  auto too_few = error_of([&] { conn_->execute("SELECT $1::int + $2::int", {std::int64_t{1}}); });
  EXPECT_EQ(too_few.kind(), ErrorKind::query) << too_few.what();
  EXPECT_TRUE(conn_->healthy());
  auto nul = error_of([&] { conn_->execute("SELECT $1", {std::string("a\0b", 3)}); });
  EXPECT_EQ(nul.kind(), ErrorKind::query) << nul.what();
  auto copy = error_of([&] { conn_->execute_script("COPY (SELECT 1) TO STDOUT"); });
  EXPECT_EQ(copy.kind(), ErrorKind::query) << copy.what();
  EXPECT_FALSE(conn_->healthy());  // stuck in COPY mode: the pool must drop it
  conn_ = driver_->connect(false);
  auto script = error_of([&] { conn_->execute_script("SELECT 1; SELECT 1/0"); });
  EXPECT_EQ(script.kind(), ErrorKind::query);
  EXPECT_EQ(script.sqlstate(), "22012");
  EXPECT_TRUE(conn_->healthy());
  EXPECT_EQ(int_at(conn_->execute("SELECT 1", {})), 1);
}

TEST_F(PostgresDriverTest, StatementTimeout) {
  auto options = options_for(*server_);
  options.statement_timeout = 200ms;
  auto c = make_postgres_driver(options)->connect(false);
  const auto start = std::chrono::steady_clock::now();
  auto e = error_of([&] { c->execute("SELECT pg_sleep(5)", {}); });
  EXPECT_EQ(e.kind(), ErrorKind::timeout) << e.what();
  EXPECT_EQ(e.sqlstate(), "57014");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(c->healthy());
  EXPECT_EQ(int_at(c->execute("SELECT 2", {})), 2);
}

TEST_F(PostgresDriverTest, SerializationFailureIsRetryable) {
  conn_->execute_script(
      "CREATE TABLE ser_t (id int PRIMARY KEY, v int); INSERT INTO ser_t VALUES (1, 0)");
  auto other = driver_->connect(false);
  conn_->execute_script("BEGIN ISOLATION LEVEL SERIALIZABLE");
  other->execute_script("BEGIN ISOLATION LEVEL SERIALIZABLE");
  EXPECT_EQ(int_at(conn_->execute("SELECT v FROM ser_t WHERE id = 1", {})), 0);
  EXPECT_EQ(int_at(other->execute("SELECT v FROM ser_t WHERE id = 1", {})), 0);
  conn_->execute("UPDATE ser_t SET v = v + 1 WHERE id = 1", {});
  conn_->execute_script("COMMIT");
  auto e = error_of([&] { other->execute("UPDATE ser_t SET v = v + 1 WHERE id = 1", {}); });
  EXPECT_EQ(e.kind(), ErrorKind::serialization) << e.what();
  EXPECT_EQ(e.sqlstate(), "40001");
  EXPECT_TRUE(e.retryable());
  other->execute_script("ROLLBACK");
  EXPECT_TRUE(other->healthy());
}

TEST_F(PostgresDriverTest, DeadlockIsRetryable) {
  conn_->execute_script(
      "CREATE TABLE dl_t (id int PRIMARY KEY, v int); INSERT INTO dl_t VALUES (1, 0), (2, 0)");
  auto other = driver_->connect(false);
  conn_->execute_script("BEGIN; UPDATE dl_t SET v = 1 WHERE id = 1");
  other->execute_script("BEGIN; UPDATE dl_t SET v = 1 WHERE id = 2");
  // One of the two crossing updates is chosen as the victim (after deadlock_timeout, 1 s).
  std::unique_ptr<DbError> first_error;
  std::thread t([&] {
    try {
      conn_->execute("UPDATE dl_t SET v = 2 WHERE id = 2", {});
    } catch (const DbError& e) {
      first_error = std::make_unique<DbError>(e);
      conn_->execute_script("ROLLBACK");  // an aborted transaction keeps its locks until then
    }
  });
  std::unique_ptr<DbError> second_error;
  try {
    other->execute("UPDATE dl_t SET v = 2 WHERE id = 1", {});
  } catch (const DbError& e) {
    second_error = std::make_unique<DbError>(e);
    other->execute_script("ROLLBACK");  // lets the survivor through
  }
  t.join();
  // Ends the survivor (a ROLLBACK with no transaction open is only a warning).
  other->execute_script("ROLLBACK");
  conn_->execute_script("ROLLBACK");
  ASSERT_TRUE(first_error || second_error);
  const DbError& e = first_error ? *first_error : *second_error;
  EXPECT_EQ(e.kind(), ErrorKind::serialization) << e.what();
  EXPECT_EQ(e.sqlstate(), "40P01");
  EXPECT_TRUE(e.retryable());
}

TEST_F(PostgresDriverTest, WrongPasswordIsAuthenticationWithoutThePassword) {
  const std::string wrong = "Wr0ngSecretPassw0rd";
  auto e = error_of(
      [&] { make_postgres_driver(options_for(*server_, kTestDb, {}, &wrong))->connect(false); });
  EXPECT_EQ(e.kind(), ErrorKind::authentication) << e.what();
  EXPECT_EQ(e.sqlstate(), "28P01");
  const std::string msg = e.what();
  EXPECT_EQ(msg.find(wrong), std::string::npos) << msg;
  EXPECT_EQ(msg.find(server_->password), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot connect to " + server_->url(kTestDb, "***")), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("password authentication failed"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST_F(PostgresDriverTest, UnreachablePortIsUnavailableQuickly) {
  Server closed = *server_;
  closed.port = std::to_string(closed_port());
  const auto start = std::chrono::steady_clock::now();
  auto e = error_of([&] { make_postgres_driver(options_for(closed))->connect(false); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(e.kind(), ErrorKind::unavailable) << e.what();
  const std::string msg = e.what();
  EXPECT_NE(msg.find("cannot connect to " + closed.url(kTestDb, "***") + ": connection refused ("),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find(server_->password), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST_F(PostgresDriverTest, SilentServerTimesOut) {
  // Accepts TCP connections (the kernel does, from the backlog) and never answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  Server silent = *server_;
  silent.port = std::to_string(ntohs(a.sin_port));
  auto options = options_for(silent);
  options.connect_wait = 1s;  // raised to the 2 s floor
  const auto start = std::chrono::steady_clock::now();
  auto e = error_of([&] { make_postgres_driver(options)->connect(false); });
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_EQ(e.kind(), ErrorKind::unavailable) << e.what();
  EXPECT_GE(took, 1900ms);
  EXPECT_LT(took, 4s);
  EXPECT_NE(std::string(e.what()).find("timeout expired"), std::string::npos) << e.what();
}

TEST_F(PostgresDriverTest, MissingDatabaseIsConfiguration) {
  auto e =
      error_of([&] { make_postgres_driver(options_for(*server_, "no_such_db"))->connect(false); });
  EXPECT_EQ(e.kind(), ErrorKind::configuration) << e.what();
  EXPECT_EQ(e.sqlstate(), "3D000");
  EXPECT_NE(std::string(e.what()).find("database \"no_such_db\" does not exist"), std::string::npos)
      << e.what();
}

TEST_F(PostgresDriverTest, UnparsableUrlIsConfigurationWithoutThePassword) {
  auto options = options_for(*server_);
  options.url.conninfo = "postgresql://u:sec%zzret@127.0.0.1:1/db";
  options.url.redacted = "postgresql://u:***@127.0.0.1:1/db";
  auto e = error_of([&] { make_postgres_driver(options)->connect(false); });
  EXPECT_EQ(e.kind(), ErrorKind::configuration) << e.what();
  EXPECT_EQ(std::string(e.what()).find("zzret"), std::string::npos) << e.what();
}

TEST_F(PostgresDriverTest, SchemaOptionCreatesAndIsolates) {
  auto a = make_postgres_driver(options_for(*server_, kTestDb, "svc_a"));
  auto b = make_postgres_driver(options_for(*server_, kTestDb, "Svc \"B\""));
  auto ca = a->connect(false);
  auto cb = b->connect(false);
  ca->execute_script("CREATE TABLE items (v text); INSERT INTO items VALUES ('from a')");
  cb->execute_script("CREATE TABLE items (v text); INSERT INTO items VALUES ('from b')");
  EXPECT_EQ(text_at(ca->execute("SELECT v FROM items", {})), "from a");
  EXPECT_EQ(text_at(cb->execute("SELECT v FROM items", {})), "from b");
  EXPECT_EQ(text_at(ca->execute("SELECT current_schema()", {})), "svc_a");
  EXPECT_EQ(text_at(cb->execute("SELECT current_schema()", {})), "Svc \"B\"");
  auto schemas = conn_->execute(
      "SELECT count(*) FROM pg_namespace WHERE nspname IN ('svc_a', 'Svc \"B\"')", {});
  EXPECT_EQ(int_at(schemas), 2);
  // The default-schema connection sees neither table.
  EXPECT_EQ(error_of([&] { conn_->execute("SELECT v FROM items", {}); }).sqlstate(), "42P01");
  // A second connection of the same driver lands in the same schema.
  EXPECT_EQ(text_at(a->connect(false)->execute("SELECT v FROM items", {})), "from a");
}

TEST_F(PostgresDriverTest, ReplicasStartingTogetherBothCreateTheSchema) {
  constexpr int kReplicas = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(kReplicas);
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto d = make_postgres_driver(options_for(*server_, kTestDb, "svc_race"));
        d->connect(false)->execute("SELECT 1", {});
      } catch (const std::exception& e) {
        failures[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
}

TEST_F(PostgresDriverTest, PreparedStatementCache) {
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(int_at(conn_->execute("SELECT $1 + 1", {std::int64_t{i}})), i + 1);
  // Past the cache bound: the oldest statements are deallocated, and come back when used.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 300; ++i) {
      const std::string sql = "SELECT " + std::to_string(i) + " + $1";
      ASSERT_EQ(int_at(conn_->execute(sql, {std::int64_t{1}})), i + 1) << sql;
    }
  }
  auto held = conn_->execute("SELECT count(*) FROM pg_prepared_statements", {});
  EXPECT_LE(int_at(held), 256);
  EXPECT_GE(int_at(held), 200);
  // Same SQL, other parameter types: its own statement.
  EXPECT_EQ(std::get<double>(conn_->execute("SELECT $1 + 1", {0.5}).rows[0][0]), 1.5);
}

TEST_F(PostgresDriverTest, StatementsDroppedByTheServerAreReprepared) {
  conn_->execute_script("CREATE TABLE stale_t (a int); INSERT INTO stale_t VALUES (1)");
  EXPECT_EQ(int_at(conn_->execute("SELECT 5", {})), 5);
  conn_->execute_script("DEALLOCATE ALL");
  EXPECT_EQ(int_at(conn_->execute("SELECT 5", {})), 5);
  conn_->execute_script("DISCARD ALL");
  EXPECT_EQ(int_at(conn_->execute("SELECT 5", {})), 5);
  // Dropped while a transaction is open: that transaction fails, the next one works.
  conn_->execute_script("DEALLOCATE ALL; BEGIN");
  auto in_tx = error_of([&] { conn_->execute("SELECT 5", {}); });
  EXPECT_EQ(in_tx.sqlstate(), "26000") << in_tx.what();
  conn_->execute_script("ROLLBACK; BEGIN");
  EXPECT_EQ(int_at(conn_->execute("SELECT 5", {})), 5);
  conn_->execute_script("COMMIT");
  // A migration changed the table under a cached `SELECT *`.
  EXPECT_EQ(conn_->execute("SELECT * FROM stale_t", {}).columns.size(), 1u);
  conn_->execute_script("ALTER TABLE stale_t ADD COLUMN b int DEFAULT 2");
  auto r = conn_->execute("SELECT * FROM stale_t", {});
  EXPECT_EQ(r.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(int_at(r, 0, 1), 2);
}

TEST_F(PostgresDriverTest, ScriptRunsSeveralStatements) {
  conn_->execute_script(R"sql(
    CREATE TABLE script_t (id int PRIMARY KEY, v text);
    INSERT INTO script_t VALUES (1, 'one; not a separator');
    -- a comment; with a semicolon
    INSERT INTO script_t VALUES (2, $$dollar 'quoted'$$);
  )sql");
  auto r = conn_->execute("SELECT v FROM script_t ORDER BY id", {});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(text_at(r, 0), "one; not a separator");
  EXPECT_EQ(text_at(r, 1), "dollar 'quoted'");
  auto dup = error_of([&] {
    conn_->execute_script(
        "INSERT INTO script_t VALUES (3, 'x'); INSERT INTO script_t VALUES (1, 'y')");
  });
  EXPECT_EQ(dup.kind(), ErrorKind::unique_violation) << dup.what();
  // A failing script is one implicit transaction: its first insert is gone too.
  EXPECT_EQ(int_at(conn_->execute("SELECT count(*) FROM script_t", {})), 2);
}

TEST_F(PostgresDriverTest, NoticesAreNotPrinted) {
  testing::internal::CaptureStderr();
  conn_->execute_script("CREATE SCHEMA IF NOT EXISTS public; DROP TABLE IF EXISTS nothing_here");
  conn_->execute("DROP TABLE IF EXISTS nothing_here_either", {});
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

// Last: it restarts the server under every open connection.
TEST_F(PostgresDriverTest, ServerRestartMakesConnectionUnhealthyAndReconnectWorks) {
  EXPECT_EQ(int_at(conn_->execute("SELECT 1", {})), 1);
  mmx::test::server_control("postgres", "restart");
  auto e = error_of([&] { conn_->execute("SELECT 1", {}); });
  EXPECT_EQ(e.kind(), ErrorKind::unavailable) << e.what();
  EXPECT_NE(std::string(e.what()).find(server_->url(kTestDb, "***")), std::string::npos)
      << e.what();
  EXPECT_FALSE(conn_->healthy());
  // Still refuses politely, without touching the dead socket's state.
  EXPECT_EQ(error_of([&] { conn_->execute("SELECT 1", {}); }).kind(), ErrorKind::unavailable);
  auto fresh = driver_->connect(false);
  EXPECT_TRUE(fresh->healthy());
  EXPECT_EQ(int_at(fresh->execute("SELECT 1", {})), 1);
}

}  // namespace
