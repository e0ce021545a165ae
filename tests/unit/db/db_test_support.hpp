#pragma once
// Runs the DB suites' coroutines to completion and gives each test a private database:
// a fresh SQLite file, or a fresh schema on the harness's PostgreSQL.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <random>
#include <string>

#include "../../harness/control.hpp"
#include "mmx/db/database.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::test {

inline std::string random_suffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng() % 1000000000);
}

// Runs `aw` on a private io_context (one thread) and returns its result or rethrows.
template <class T>
T run_sync(boost::asio::io_context& io, boost::asio::awaitable<T> aw) {
  auto fut = boost::asio::co_spawn(io, std::move(aw), boost::asio::use_future);
  io.restart();
  io.run();
  return fut.get();
}

struct DbTarget {
  std::string name;  // "sqlite" or "postgresql"
};

// The URL of a fresh database for one test, or "" when the dialect is not available.
inline std::string fresh_database_url(const std::string& dialect, std::filesystem::path& tmpdir) {
  if (dialect == "sqlite") {
    tmpdir = std::filesystem::temp_directory_path() / ("mmx-db-test-" + random_suffix());
    std::filesystem::create_directories(tmpdir);
    return "sqlite:" + (tmpdir / "test.db").string();
  }
  auto url = test_url("MMX_TEST_POSTGRES_URL");
  if (!url) return {};
  return *url + (url->find('?') == std::string::npos ? "?" : "&") + "schema=t" + random_suffix();
}

// What every database suite's fixture holds: the options of the database under test, a
// worker pool, a metrics registry and the io_context the coroutines run on.
struct DbHarness {
  std::shared_ptr<db::Database> open() {
    auto db = db::Database::open(options_, workers_, &metrics_);
    db->connect();
    return db;
  }
  template <class T>
  T run(boost::asio::awaitable<T> aw) {
    return run_sync(io_, std::move(aw));
  }

  db::DatabaseOptions options_;
  exec::WorkerPool workers_{4, 1024};
  metrics::Registry metrics_;
  boost::asio::io_context io_;
};

}  // namespace mmx::test
