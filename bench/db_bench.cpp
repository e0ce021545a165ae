// The database layer against the raw C APIs, for the same queries in the same run (driven
// by bench/db.sh, which starts PostgreSQL and prints the machine notes around this).
//
// Per database (SQLite file, PostgreSQL through libpq) and per query it measures
//   raw     the best-practice C API: one connection, one thread, statements prepared once
//           and reused, rows read straight into the struct;
//   driver  our blocking driver on its own (Connection::execute + map_rows), same thread:
//           what the async layer costs minus the worker-pool handoff;
//   ours    the async API as a service uses it: N coroutines on one io thread, a worker
//           pool of W threads, the default connection pool and a metrics registry;
//   nb-libpq  (PostgreSQL point SELECT only) a prototype of libpq's non-blocking API on
//           the io thread, with no worker pool: the design the issue allows instead.
// Each is N ops/s and per-op latency p50/p99 (an op: one SELECT, or one transaction of 100
// INSERTs). Prints Markdown tables; the ratio column is ours/raw throughput.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/db/database.hpp"
#include "mmx/db/drivers.hpp"
#include "mmx/db/url.hpp"
#include "mmx/exec/offload.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx_bench {

namespace asio = boost::asio;
namespace db = mmx::db;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

struct Item {
  std::int64_t id = 0;
  std::string sku;
  std::string name;
  std::int64_t price_cents = 0;
  std::int64_t stock = 0;
  bool active = false;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, sku, name, price_cents, stock, active))

constexpr std::int64_t kItems = 10000;
constexpr int kRangeRows = 20;
constexpr int kTxRows = 100;
// Static char arrays, as SQL written in place (a string literal) is: the async API refers to
// such text instead of copying it into each statement's coroutine (mmx/db/sql.hpp).
constexpr char kPointSql[] =
    "SELECT id, sku, name, price_cents, stock, active FROM bench_items WHERE id = $1";
constexpr char kRangeSql[] =
    "SELECT id, sku, name, price_cents, stock, active FROM bench_items WHERE id >= $1 "
    "ORDER BY id LIMIT 20";
constexpr char kInsertSql[] = "INSERT INTO bench_orders (item_id, qty, note) VALUES ($1, $2, $3)";
const std::string kNote = "bench order: two of them, gift-wrapped, deliver after 17:00";

struct Settings {
  std::string sqlite_path;   // empty: skip SQLite
  std::string postgres_url;  // empty: skip PostgreSQL
  Ms warmup{300};
  Ms duration{2000};
  std::vector<int> concurrency{1, 16};
  std::size_t workers = 2;
  bool nonblocking = true;  // the nb-libpq prototype
  int rounds = 3;           // each case runs once per round; the median round is reported
  std::string filter;       // only cases whose "database query implementation" contains it
};

// --- measurement ------------------------------------------------------------------------

struct Stats {
  double ops_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::uint64_t ops = 0;
};

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

Stats summarize(std::vector<double>& lat_us, Clock::duration elapsed) {
  Stats s;
  s.ops = lat_us.size();
  if (lat_us.empty()) return s;
  std::sort(lat_us.begin(), lat_us.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(q * static_cast<double>(lat_us.size() - 1));
    return lat_us[i];
  };
  s.p50_us = at(0.50);
  s.p99_us = at(0.99);
  s.ops_s = static_cast<double>(s.ops) / std::chrono::duration<double>(elapsed).count();
  return s;
}

// One op after another on this thread.
Stats run_sync(const Settings& cfg, const std::function<void()>& op) {
  for (auto until = Clock::now() + cfg.warmup; Clock::now() < until;) op();
  std::vector<double> lat;
  lat.reserve(1 << 16);
  const auto start = Clock::now(), until = start + cfg.duration;
  auto t = start;
  while (t < until) {
    op();
    auto t2 = Clock::now();
    lat.push_back(micros(t2 - t));
    t = t2;
  }
  return summarize(lat, t - start);
}

// `concurrency` coroutines on one io thread (this one), each running op() back to back.
// Ops that start after the warm-up count; throughput is counted until the last of them ends.
using AsyncOp = std::function<asio::awaitable<void>(int)>;
Stats run_async(asio::io_context& io, const Settings& cfg, int concurrency, const AsyncOp& op) {
  const auto measure_from = Clock::now() + cfg.warmup, until = measure_from + cfg.duration;
  std::vector<std::vector<double>> lats(static_cast<std::size_t>(concurrency));
  auto last_done = measure_from;
  std::exception_ptr error;
  for (int i = 0; i < concurrency; ++i) {
    auto worker = [&, i]() -> asio::awaitable<void> {
      auto& lat = lats[static_cast<std::size_t>(i)];
      lat.reserve(1 << 14);
      for (;;) {
        const auto a = Clock::now();
        if (a >= until) break;
        co_await op(i);
        const auto b = Clock::now();
        if (a >= measure_from) {
          lat.push_back(micros(b - a));
          last_done = std::max(last_done, b);
        }
      }
    };
    asio::co_spawn(io, std::move(worker), [&](std::exception_ptr e) {
      if (e && !error) error = e;
    });
  }
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  std::vector<double> all;
  for (auto& l : lats) all.insert(all.end(), l.begin(), l.end());
  return summarize(all, last_done - measure_from);
}

// Uniform ids, the same sequence for every implementation.
struct Ids {
  std::mt19937_64 rng{42};
  std::int64_t point() { return std::uniform_int_distribution<std::int64_t>(1, kItems)(rng); }
  std::int64_t range_start() {
    return std::uniform_int_distribution<std::int64_t>(1, kItems - kRangeRows + 1)(rng);
  }
};

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("wrong result: ") + what);
}

// --- results ------------------------------------------------------------------------------

struct Row {
  std::string database, query, impl;
  std::string concurrency;
  Stats s;                              // the round with the median throughput
  double min_ops_s = 0, max_ops_s = 0;  // over the rounds
  double raw_ops_s = 0;                 // of the same database and query
  bool is_raw = false;
};
std::vector<Row> g_rows;
int g_pg_server_version = 0;

// One line of the table, measured once per round.
struct Case {
  std::string query, impl, concurrency;
  std::function<Stats()> run;
  // Untimed, before each run: puts the data back as the case expects it.
  std::function<void()> before = {};
};

// Runs every case once per round, in order, so that a load spike from elsewhere on the
// machine hits raw and ours alike; keeps each case's median round.
void run_cases(const Settings& cfg, const std::string& database, std::vector<Case>& cases) {
  std::vector<std::vector<Stats>> runs(cases.size());
  for (int round = 1; round <= cfg.rounds; ++round) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& c = cases[i];
      if (!cfg.filter.empty() &&
          (database + " " + c.query + " " + c.impl).find(cfg.filter) == std::string::npos)
        continue;
      if (c.before) c.before();
      Stats st = c.run();
      std::fprintf(
          stderr,
          "[db_bench] round %d  %-10s %-24s %-30s c=%-3s %9.0f ops/s  p50 %8.1f us  p99 %8.1f us\n",
          round, database.c_str(), c.query.c_str(), c.impl.c_str(), c.concurrency.c_str(), st.ops_s,
          st.p50_us, st.p99_us);
      runs[i].push_back(st);
    }
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto& r = runs[i];
    if (r.empty()) continue;
    std::sort(r.begin(), r.end(), [](const Stats& a, const Stats& b) { return a.ops_s < b.ops_s; });
    Row row{database,
            cases[i].query,
            cases[i].impl,
            cases[i].concurrency,
            r[r.size() / 2],
            r.front().ops_s,
            r.back().ops_s,
            0,
            cases[i].impl == "raw"};
    for (const auto& prev : g_rows)
      if (prev.is_raw && prev.database == database && prev.query == row.query)
        row.raw_ops_s = prev.s.ops_s;
    g_rows.push_back(std::move(row));
  }
}

// --- raw SQLite -----------------------------------------------------------------------

struct RawSqlite {
  sqlite3* db = nullptr;
  sqlite3_stmt* point = nullptr;
  sqlite3_stmt* range = nullptr;
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;

  explicit RawSqlite(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      fail("open");
    sqlite3_busy_timeout(db, 5000);
    // The same settings as our driver's connections.
    exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA temp_store=MEMORY");
  }
  ~RawSqlite() {
    for (auto* s : {point, range, insert, begin, commit}) sqlite3_finalize(s);
    sqlite3_close_v2(db);
  }
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("sqlite ") + what + ": " + sqlite3_errmsg(db));
  }
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + msg);
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      fail("prepare");
    return s;
  }
  void prepare_all() {
    point = prepare(kPointSql);
    range = prepare(kRangeSql);
    insert = prepare(kInsertSql);
    begin = prepare("BEGIN IMMEDIATE");
    commit = prepare("COMMIT");
  }
  static std::string text(sqlite3_stmt* s, int i) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                       static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
  }
  static Item item(sqlite3_stmt* s) {
    return Item{sqlite3_column_int64(s, 0),
                text(s, 1),
                text(s, 2),
                sqlite3_column_int64(s, 3),
                sqlite3_column_int64(s, 4),
                sqlite3_column_int64(s, 5) != 0};
  }
  void step_done(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) fail("step");
    sqlite3_reset(s);
  }

  std::optional<Item> get(std::int64_t id) {
    sqlite3_bind_int64(point, 1, id);
    std::optional<Item> out;
    int rc = sqlite3_step(point);
    if (rc == SQLITE_ROW)
      out = item(point);
    else if (rc != SQLITE_DONE)
      fail("step");
    sqlite3_reset(point);
    return out;
  }
  std::vector<Item> list(std::int64_t from) {
    sqlite3_bind_int64(range, 1, from);
    std::vector<Item> out;
    int rc;
    while ((rc = sqlite3_step(range)) == SQLITE_ROW) out.push_back(item(range));
    if (rc != SQLITE_DONE) fail("step");
    sqlite3_reset(range);
    return out;
  }
  void insert_tx(std::int64_t item_id) {
    step_done(begin);
    for (int k = 0; k < kTxRows; ++k) {
      sqlite3_bind_int64(insert, 1, item_id);
      sqlite3_bind_int64(insert, 2, k + 1);
      sqlite3_bind_text(insert, 3, kNote.data(), static_cast<int>(kNote.size()), SQLITE_STATIC);
      step_done(insert);
    }
    step_done(commit);
  }
};

void seed_sqlite(RawSqlite& s) {
  s.exec(
      "DROP TABLE IF EXISTS bench_items; DROP TABLE IF EXISTS bench_orders;"
      "CREATE TABLE bench_items (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL,"
      " price_cents INTEGER NOT NULL, stock INTEGER NOT NULL, active INTEGER NOT NULL);"
      "CREATE TABLE bench_orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL,"
      " qty INTEGER NOT NULL, note TEXT NOT NULL);"
      "BEGIN;"
      "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 10000)"
      " INSERT INTO bench_items SELECT x, 'SKU-' || x, 'Catalog item number ' || x,"
      " 100 + x, x % 50, x % 3 <> 0 FROM g;"
      "COMMIT; ANALYZE;");
}

// --- raw libpq ------------------------------------------------------------------------

constexpr Oid kInt8 = 20, kBool = 16;

struct PgResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgRes = std::unique_ptr<PGresult, PgResultFree>;

std::int64_t pg_int(const PGresult* r, int row, int col) {
  const char* v = PQgetvalue(r, row, col);
  std::int64_t x = 0;
  std::from_chars(v, v + PQgetlength(r, row, col), x);
  return x;
}
std::string pg_text(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}
Item pg_item(const PGresult* r, int row) {
  return Item{pg_int(r, row, 0), pg_text(r, row, 1), pg_text(r, row, 2),
              pg_int(r, row, 3), pg_int(r, row, 4),  PQgetvalue(r, row, 5)[0] == 't'};
}

struct RawPg {
  PGconn* conn = nullptr;
  explicit RawPg(const std::string& url) {
    conn = PQconnectdb(url.c_str());
    if (PQstatus(conn) != CONNECTION_OK) fail("connect");
  }
  ~RawPg() { PQfinish(conn); }
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("libpq ") + what + ": " + PQerrorMessage(conn));
  }
  void exec(const char* sql) {
    PgRes r(PQexec(conn, sql));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(sql);
  }
  void prepare(const char* name, const char* sql, std::vector<Oid> types) {
    PgRes r(PQprepare(conn, name, sql, static_cast<int>(types.size()), types.data()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("prepare");
  }
  void prepare_all() {
    prepare("point", kPointSql, {kInt8});
    prepare("range", kRangeSql, {kInt8});
    prepare("insert", kInsertSql, {kInt8, kInt8, 0});  // text untyped, as our driver sends it
  }
  PgRes run(const char* stmt, int n, const char* const* values, ExecStatusType want) {
    PgRes r(PQexecPrepared(conn, stmt, n, values, nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != want) fail(stmt);
    return r;
  }
  std::optional<Item> get(std::int64_t id) {
    char buf[24];
    *std::to_chars(buf, buf + 23, id).ptr = '\0';
    const char* v[] = {buf};
    auto r = run("point", 1, v, PGRES_TUPLES_OK);
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return pg_item(r.get(), 0);
  }
  std::vector<Item> list(std::int64_t from) {
    char buf[24];
    *std::to_chars(buf, buf + 23, from).ptr = '\0';
    const char* v[] = {buf};
    auto r = run("range", 1, v, PGRES_TUPLES_OK);
    std::vector<Item> out;
    const int n = PQntuples(r.get());
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out.push_back(pg_item(r.get(), i));
    return out;
  }
  void insert_tx(std::int64_t item_id) {
    exec("BEGIN");
    char id_buf[24], qty_buf[24];
    *std::to_chars(id_buf, id_buf + 23, item_id).ptr = '\0';
    for (int k = 0; k < kTxRows; ++k) {
      *std::to_chars(qty_buf, qty_buf + 23, k + 1).ptr = '\0';
      const char* v[] = {id_buf, qty_buf, kNote.c_str()};
      run("insert", 3, v, PGRES_COMMAND_OK);
    }
    exec("COMMIT");
  }
};

void seed_postgres(RawPg& p) {
  p.exec("SET client_min_messages = warning");
  p.exec("DROP SCHEMA IF EXISTS mmx_bench CASCADE");
  p.exec("CREATE SCHEMA mmx_bench");
  p.exec("SET search_path TO mmx_bench");
  p.exec(
      "CREATE TABLE bench_items (id BIGINT PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL,"
      " price_cents BIGINT NOT NULL, stock BIGINT NOT NULL, active BOOLEAN NOT NULL)");
  p.exec(
      "CREATE TABLE bench_orders (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
      " item_id BIGINT NOT NULL, qty BIGINT NOT NULL, note TEXT NOT NULL)");
  p.exec(
      "INSERT INTO bench_items SELECT g, 'SKU-' || g, 'Catalog item number ' || g, 100 + g,"
      " g % 50, g % 3 <> 0 FROM generate_series(1, 10000) g");
  p.exec("VACUUM ANALYZE bench_items");
}

// --- the non-blocking libpq prototype (io thread, no worker pool) ----------------------

// What our driver's to_result does, for the columns this benchmark reads, so that the
// prototype pays the same Result + map_rows conversion as the async layer.
db::Result to_result(const PGresult* r) {
  db::Result out;
  const int fields = PQnfields(r), tuples = PQntuples(r);
  std::vector<Oid> types;
  for (int c = 0; c < fields; ++c) {
    out.columns.emplace_back(PQfname(r, c));
    types.push_back(PQftype(r, c));
  }
  out.rows.reserve(static_cast<std::size_t>(tuples));
  for (int t = 0; t < tuples; ++t) {
    auto& row = out.rows.emplace_back();
    row.reserve(static_cast<std::size_t>(fields));
    for (int c = 0; c < fields; ++c) {
      if (PQgetisnull(r, t, c))
        row.emplace_back();
      else if (types[static_cast<std::size_t>(c)] == kInt8)
        row.emplace_back(pg_int(r, t, c));
      else if (types[static_cast<std::size_t>(c)] == kBool)
        row.emplace_back(PQgetvalue(r, t, c)[0] == 't');
      else
        row.emplace_back(pg_text(r, t, c));
    }
  }
  return out;
}

struct NbConn {
  RawPg pg;
  asio::posix::stream_descriptor sock;
  NbConn(asio::io_context& io, const std::string& url) : pg(url), sock(io) {
    pg.exec("SET search_path TO mmx_bench");
    pg.prepare("point", kPointSql, {kInt8});
    if (PQsetnonblocking(pg.conn, 1) != 0) pg.fail("setnonblocking");
    sock.assign(PQsocket(pg.conn));
  }
  ~NbConn() { sock.release(); }  // libpq owns the socket
};

asio::awaitable<db::Result> nb_point(NbConn& c, std::int64_t id) {
  char buf[24];
  *std::to_chars(buf, buf + 23, id).ptr = '\0';
  const char* values[] = {buf};
  if (!PQsendQueryPrepared(c.pg.conn, "point", 1, values, nullptr, nullptr, 0)) c.pg.fail("send");
  for (;;) {
    const int f = PQflush(c.pg.conn);
    if (f == 0) break;
    if (f < 0) c.pg.fail("flush");
    co_await c.sock.async_wait(asio::posix::stream_descriptor::wait_write, asio::use_awaitable);
  }
  db::Result out;
  for (;;) {
    while (PQisBusy(c.pg.conn)) {
      co_await c.sock.async_wait(asio::posix::stream_descriptor::wait_read, asio::use_awaitable);
      if (!PQconsumeInput(c.pg.conn)) c.pg.fail("consume");
    }
    PgRes r(PQgetResult(c.pg.conn));
    if (!r) break;
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) c.pg.fail("point");
    out = to_result(r.get());
  }
  co_return out;
}

// --- the benchmark per database ---------------------------------------------------------

// `url` is ours (sqlite:PATH, or postgresql://...?schema=); `libpq_url` is the plain one
// for the prototype's own connections.
void bench_database(const Settings& cfg, const std::string& label, const std::string& url,
                    const std::string& libpq_url, const std::function<void()>& raw_setup,
                    const std::function<std::optional<Item>(std::int64_t)>& raw_get,
                    const std::function<std::vector<Item>(std::int64_t)>& raw_list,
                    const std::function<void(std::int64_t)>& raw_insert,
                    const std::function<void()>& raw_empty_orders) {
  raw_setup();
  db::DatabaseOptions opts;
  opts.name = "bench";
  opts.url = db::parse_database_url(url);
  mmx::exec::WorkerPool workers(cfg.workers, 1024);
  mmx::metrics::Registry registry;
  auto database = db::Database::open(opts, workers, &registry);
  database->connect();
  auto driver = opts.url.dialect == db::Dialect::sqlite ? db::make_sqlite_driver(opts)
                                                        : db::make_postgres_driver(opts);
  auto reader = driver->connect(driver->separate_readers());
  auto writer = driver->connect(false);
  asio::io_context io;
  Ids ids;
  std::vector<Case> cases;
  auto add = [&](const std::string& query, const std::string& impl, const std::string& conc,
                 std::function<Stats()> run) {
    cases.push_back({query, impl, conc, std::move(run)});
  };
  const std::string ours = "ours (async, " + std::to_string(cfg.workers) + " workers)";

  // (a) point SELECT by primary key
  const std::string q_point = "point SELECT (1 row)";
  add(q_point, "raw", "1", [&] {
    return run_sync(cfg, [&] {
      auto id = ids.point();
      auto it = raw_get(id);
      check(it && it->id == id, "raw point");
    });
  });
  add(q_point, "driver (sync, no offload)", "1", [&] {
    return run_sync(cfg, [&] {
      auto id = ids.point();
      db::StructCollector<Item> items;  // what fetch_one/fetch_all stream rows into
      reader->execute_each(kPointSql, db::ParamViews(db::make_params(id)), items);
      check(items.rows.size() == 1 && items.rows[0].id == id, "driver point");
    });
  });
  // The same raw calls made from the async harness (a coroutine per op, as "ours" runs):
  // what the harness itself costs, so that the rest of the gap is the layer's.
  const std::string raw_async = "raw, called from the async harness";
  const bool sqlite = opts.url.dialect == db::Dialect::sqlite;
  if (sqlite)
    add(q_point, raw_async, "1", [&] {
      return run_async(io, cfg, 1, [&](int) -> asio::awaitable<void> {
        auto id = ids.point();
        auto it = raw_get(id);
        check(it && it->id == id, "raw async point");
        co_return;
      });
    });
  for (int c : cfg.concurrency) {
    add(q_point, ours, std::to_string(c), [&, c] {
      return run_async(io, cfg, c, [&](int) -> asio::awaitable<void> {
        auto id = ids.point();
        auto it = co_await database->fetch_one<Item>(kPointSql, id);
        check(it && it->id == id, "ours point");
      });
    });
  }
  // The prototype: as many connections as our pool would open for c coroutines (at most
  // pool_size), handed out through a channel used as a free list.
  using Free = asio::experimental::channel<void(boost::system::error_code, std::size_t)>;
  std::vector<std::unique_ptr<NbConn>> nb_conns;
  std::vector<std::unique_ptr<Free>> nb_free;
  if (cfg.nonblocking && opts.url.dialect == db::Dialect::postgresql) {
    for (int c : cfg.concurrency) {
      const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(c), opts.pool_size);
      while (nb_conns.size() < k) nb_conns.push_back(std::make_unique<NbConn>(io, libpq_url));
      auto& free = *nb_free.emplace_back(std::make_unique<Free>(io, k));
      for (std::size_t i = 0; i < k; ++i) free.try_send(boost::system::error_code{}, i);
      add(q_point, "nb-libpq on io thread (proto)", std::to_string(c), [&, c] {
        return run_async(io, cfg, c, [&](int) -> asio::awaitable<void> {
          auto id = ids.point();
          std::size_t slot = co_await free.async_receive(asio::use_awaitable);
          db::Result r;
          try {
            r = co_await nb_point(*nb_conns[slot], id);
          } catch (...) {
            free.try_send(boost::system::error_code{}, slot);
            throw;
          }
          free.try_send(boost::system::error_code{}, slot);
          auto items = db::map_rows<Item>(r);
          check(items.size() == 1 && items[0].id == id, "nb point");
        });
      });
    }
  }

  // (b) 20 rows mapped to a struct
  const std::string q_range = "SELECT 20 rows -> struct";
  add(q_range, "raw", "1", [&] {
    return run_sync(cfg, [&] {
      auto from = ids.range_start();
      auto items = raw_list(from);
      check(items.size() == kRangeRows && items[0].id == from, "raw range");
    });
  });
  add(q_range, "driver (sync, no offload)", "1", [&] {
    return run_sync(cfg, [&] {
      auto from = ids.range_start();
      db::StructCollector<Item> items;
      reader->execute_each(kRangeSql, db::ParamViews(db::make_params(from)), items);
      check(items.rows.size() == kRangeRows && items.rows[0].id == from, "driver range");
    });
  });
  if (sqlite)
    add(q_range, raw_async, "1", [&] {
      return run_async(io, cfg, 1, [&](int) -> asio::awaitable<void> {
        auto from = ids.range_start();
        auto items = raw_list(from);
        check(items.size() == kRangeRows && items[0].id == from, "raw async range");
        co_return;
      });
    });
  for (int c : cfg.concurrency) {
    add(q_range, ours, std::to_string(c), [&, c] {
      return run_async(io, cfg, c, [&](int) -> asio::awaitable<void> {
        auto from = ids.range_start();
        auto items = co_await database->fetch_all<Item>(kRangeSql, from);
        check(items.size() == kRangeRows && items[0].id == from, "ours range");
      });
    });
  }

  // (c) a transaction of 100 INSERTs
  const std::string q_insert = "INSERT x100 in a tx";
  add(q_insert, "raw", "1", [&] { return run_sync(cfg, [&] { raw_insert(ids.point()); }); });
  const std::string begin_sql = driver->begin_sql();
  add(q_insert, "driver (sync, no offload)", "1", [&] {
    return run_sync(cfg, [&] {
      const std::int64_t item_id = ids.point();
      writer->execute_script(begin_sql);
      for (std::int64_t k = 1; k <= kTxRows; ++k)
        writer->execute(kInsertSql, db::make_params(item_id, k, kNote));
      writer->execute_script("COMMIT");
    });
  });
  if (sqlite)
    add(q_insert, raw_async, "1", [&] {
      return run_async(io, cfg, 1, [&](int) -> asio::awaitable<void> {
        raw_insert(ids.point());
        co_return;
      });
    });
  for (int c : cfg.concurrency) {
    add(q_insert, ours, std::to_string(c), [&, c] {
      return run_async(io, cfg, c, [&](int) -> asio::awaitable<void> {
        const std::int64_t item_id = ids.point();
        co_await database->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
          for (std::int64_t k = 1; k <= kTxRows; ++k)
            co_await tx.execute(kInsertSql, item_id, k, kNote);
        });
      });
    });
  }

  // Every INSERT case starts from an empty table and WAL, so the table's growth (about a
  // million rows per case and round) favours no case: otherwise raw, first in each round,
  // always inserts into the smallest table, and the file grows by gigabytes per run.
  for (auto& c : cases)
    if (c.query == q_insert) c.before = raw_empty_orders;

  run_cases(cfg, label, cases);
}

// What every statement of the async layer pays on top of the driver: a round trip through
// the worker pool (queue, wake a worker, run, post back, wake the io thread), measured on
// an empty function.
void bench_handoff(const Settings& cfg) {
  mmx::exec::WorkerPool workers(cfg.workers, 1024);
  asio::io_context io;
  std::vector<Case> cases;
  for (int c : cfg.concurrency) {
    cases.push_back({"co_await offload(pool, [] {})", "worker-pool round trip alone",
                     std::to_string(c), [&, c] {
                       return run_async(io, cfg, c, [&](int) -> asio::awaitable<void> {
                         co_await mmx::exec::offload(workers, [] {});
                       });
                     }});
  }
  run_cases(cfg, "(no database)", cases);
}

void print_tables(const Settings& cfg) {
  std::printf(
      "| database | query | implementation | coroutines | ops/s | ops/s range | p50 us | p99 us | "
      "ours/raw ops/s |\n");
  std::printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& r : g_rows) {
    std::string ratio = r.is_raw ? std::string("1.00 (baseline)") : std::string("n/a");
    if (!r.is_raw && r.raw_ops_s > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", r.s.ops_s / r.raw_ops_s);
      ratio = buf;
    }
    std::printf("| %s | %s | %s | %s | %.0f | %.0f-%.0f | %.1f | %.1f | %s |\n", r.database.c_str(),
                r.query.c_str(), r.impl.c_str(), r.concurrency.c_str(), r.s.ops_s, r.min_ops_s,
                r.max_ops_s, r.s.p50_us, r.s.p99_us, ratio.c_str());
  }
  std::printf("\n");
  // Target: the async layer keeps at least 1/1.2 of raw throughput (overhead <= 1.2x).
  std::printf(
      "| target: ours >= raw / 1.2 ops/s (overhead <= 1.2x) | coroutines | ours/raw | overhead "
      "raw/ours | verdict |\n");
  std::printf("|---|---:|---:|---:|---|\n");
  for (const auto& r : g_rows) {
    if (r.impl.rfind("ours", 0) != 0 || r.raw_ops_s <= 0 || r.s.ops_s <= 0) continue;
    const double ratio = r.s.ops_s / r.raw_ops_s;
    std::printf("| %s, %s | %s | %.2f | %.2fx | %s |\n", r.database.c_str(), r.query.c_str(),
                r.concurrency.c_str(), ratio, 1.0 / ratio, ratio >= 1.0 / 1.2 ? "PASS" : "MISS");
  }
  std::printf("\n");
  std::printf(
      "One op: one SELECT, or one transaction (BEGIN, %d INSERTs, COMMIT). Every case ran %d "
      "round(s) of %lld ms (after a %lld ms warm-up each), interleaved; the table shows the median "
      "round (its p50/p99) and the range of ops/s over the rounds. Ours: one io thread, a worker "
      "pool of %zu threads.\n",
      kTxRows, cfg.rounds, static_cast<long long>(cfg.duration.count()),
      static_cast<long long>(cfg.warmup.count()), cfg.workers);
  std::printf("\nLibraries: SQLite %s, libpq %d", sqlite3_libversion(), PQlibVersion());
  if (g_pg_server_version) std::printf(", PostgreSQL server %d", g_pg_server_version);
  std::printf(".\n");
}

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::size_t at = 0;
  while (at < s.size()) {
    auto comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(std::stoi(s.substr(at, comma - at)));
    at = comma + 1;
  }
  return out;
}

int run(int argc, char** argv) {
  Settings cfg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--sqlite")
      cfg.sqlite_path = value();
    else if (a == "--postgres")
      cfg.postgres_url = value();
    else if (a == "--duration-ms")
      cfg.duration = Ms(std::stoll(value()));
    else if (a == "--warmup-ms")
      cfg.warmup = Ms(std::stoll(value()));
    else if (a == "--concurrency")
      cfg.concurrency = parse_list(value());
    else if (a == "--workers")
      cfg.workers = static_cast<std::size_t>(std::stoul(value()));
    else if (a == "--no-nonblocking")
      cfg.nonblocking = false;
    else if (a == "--rounds")
      cfg.rounds = std::max(1, std::stoi(value()));
    else if (a == "--filter")
      cfg.filter = value();
    else
      throw std::runtime_error(
          "unknown argument " + a +
          " (--sqlite PATH --postgres URL --duration-ms N --warmup-ms N "
          "--concurrency 1,16 --workers N --rounds N --filter TEXT --no-nonblocking)");
  }
  bench_handoff(cfg);
  if (!cfg.sqlite_path.empty()) {
    RawSqlite raw(cfg.sqlite_path);
    bench_database(
        cfg, "SQLite", "sqlite:" + cfg.sqlite_path, "",
        [&] {
          seed_sqlite(raw);
          raw.prepare_all();
        },
        [&](std::int64_t id) { return raw.get(id); },
        [&](std::int64_t from) { return raw.list(from); },
        [&](std::int64_t id) { raw.insert_tx(id); },
        [&] { raw.exec("DELETE FROM bench_orders; PRAGMA wal_checkpoint(TRUNCATE)"); });
  }
  if (!cfg.postgres_url.empty()) {
    RawPg raw(cfg.postgres_url);
    g_pg_server_version = PQserverVersion(raw.conn);
    const std::string ours_url = cfg.postgres_url +
                                 (cfg.postgres_url.find('?') == std::string::npos ? "?" : "&") +
                                 "schema=mmx_bench";
    bench_database(
        cfg, "PostgreSQL", ours_url, cfg.postgres_url,
        [&] {
          seed_postgres(raw);
          raw.prepare_all();
        },
        [&](std::int64_t id) { return raw.get(id); },
        [&](std::int64_t from) { return raw.list(from); },
        [&](std::int64_t id) { raw.insert_tx(id); }, [&] { raw.exec("TRUNCATE bench_orders"); });
    raw.exec("DROP SCHEMA mmx_bench CASCADE");
  }
  print_tables(cfg);
  return 0;
}

}  // namespace mmx_bench

int main(int argc, char** argv) {
  try {
    return mmx_bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "db_bench: %s\n", e.what());
    return 1;
  }
}
