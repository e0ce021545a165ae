// Migrations on SQLite and PostgreSQL: fresh, incremental, dialect-specific files, an
// edited applied migration (checksum drift), a database newer than the build, a failing
// migration (nothing half-applied), and several processes' worth of connections migrating
// at once (each version applied exactly once).
#include <gtest/gtest.h>

#include <thread>

#include "db_test_support.hpp"
#include "mmx/db/drivers.hpp"
#include "mmx/db/errors.hpp"
#include "mmx/db/migrations.hpp"

namespace mmx::db {
namespace {

const MigrationFile m1{"0001_create_notes.sql", "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL);"};
const MigrationFile m2{"0002_add_author.sql", "ALTER TABLE notes ADD COLUMN author TEXT;\nCREATE INDEX notes_author ON notes (author);"};
const MigrationFile m3_sqlite{"0003_add_seq.sqlite.sql", "CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);"};
const MigrationFile m3_pg{"0003_add_seq.postgresql.sql", "CREATE TABLE seq (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v TEXT);"};

class Migrations : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url = test::fresh_database_url(GetParam(), tmpdir_);
    if (url.empty()) GTEST_SKIP() << "no PostgreSQL: run through tests/harness/with_servers.py --postgres";
    options_.name = "test";
    options_.url = parse_database_url(url);
  }
  void TearDown() override {
    if (!tmpdir_.empty()) std::filesystem::remove_all(tmpdir_);
  }
  std::unique_ptr<Driver> driver() {
    return options_.url.dialect == Dialect::sqlite ? make_sqlite_driver(options_) : make_postgres_driver(options_);
  }
  std::vector<std::vector<Value>> recorded() {
    auto c = driver()->connect(false);
    return c->execute("SELECT version, name FROM schema_migrations ORDER BY version", {}).rows;
  }
  std::filesystem::path tmpdir_;
  DatabaseOptions options_;
};

TEST_P(Migrations, FreshDatabaseGetsEveryMigrationInOrder) {
  auto report = migrate(*driver(), {m2, m1, m3_sqlite, m3_pg});  // file order does not matter
  ASSERT_EQ(report.applied.size(), 3u);
  EXPECT_EQ(report.applied[0], "0001_create_notes");
  EXPECT_EQ(report.applied[2], "0003_add_seq");
  EXPECT_EQ(report.version, 3);
  auto rows = recorded();
  ASSERT_EQ(rows.size(), 3u);
  auto c = driver()->connect(false);
  c->execute("INSERT INTO notes (id, body, author) VALUES ($1, $2, $3)", {Value{std::int64_t{1}}, Value{std::string("x")}, Value{std::string("me")}});
  c->execute("INSERT INTO seq (v) VALUES ($1)", {Value{std::string("dialect file used")}});
}

TEST_P(Migrations, IncrementalRunAppliesOnlyWhatIsNew) {
  EXPECT_EQ(migrate(*driver(), {m1}).applied.size(), 1u);
  auto second = migrate(*driver(), {m1, m2});
  ASSERT_EQ(second.applied.size(), 1u);
  EXPECT_EQ(second.applied[0], "0002_add_author");
  EXPECT_TRUE(migrate(*driver(), {m1, m2}).applied.empty());
  EXPECT_EQ(recorded().size(), 2u);
}

TEST_P(Migrations, AnEditedAppliedMigrationStopsStartUp) {
  migrate(*driver(), {m1, m2});
  MigrationFile edited = m2;
  edited.sql += "\nCREATE INDEX notes_body ON notes (body);";
  try {
    migrate(*driver(), {m1, edited});
    FAIL() << "checksum drift not detected";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::configuration);
    EXPECT_NE(std::string(e.what()).find("0002_add_author was changed after it was applied"), std::string::npos) << e.what();
  }
}

TEST_P(Migrations, ADatabaseNewerThanTheBuildIsRefused) {
  migrate(*driver(), {m1, m2});
  try {
    migrate(*driver(), {m1});
    FAIL();
  } catch (const DbError& e) {
    EXPECT_NE(std::string(e.what()).find("0002_add_author"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("newer release"), std::string::npos) << e.what();
  }
}

TEST_P(Migrations, AFailingMigrationLeavesNothingHalfDone) {
  migrate(*driver(), {m1});
  MigrationFile bad{"0002_broken.sql", "CREATE TABLE half (id BIGINT);\nTHIS IS NOT SQL;"};
  try {
    migrate(*driver(), {m1, bad});
    FAIL();
  } catch (const DbError& e) {
    EXPECT_NE(std::string(e.what()).find("migration 0002_broken failed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(recorded().size(), 1u);
  auto c = driver()->connect(false);
  EXPECT_THROW(c->execute("SELECT * FROM half", {}), DbError) << "the failed migration's first statement stayed";
  EXPECT_EQ(migrate(*driver(), {m1, m2}).applied.size(), 1u);  // fixed file goes through
}

TEST_P(Migrations, ConcurrentMigratorsApplyEachVersionOnce) {
  const int n = 6;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(n);
  std::vector<std::size_t> applied(n);
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      try {
        applied[i] = migrate(*driver(), {m1, m2, m3_sqlite, m3_pg}).applied.size();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  std::size_t total = 0;
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(errors[i], "") << "migrator " << i;
    total += applied[i];
  }
  EXPECT_EQ(total, 3u);
  EXPECT_EQ(recorded().size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Dialects, Migrations, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(MigrationPlan, BadFileNamesAreNamed) {
  auto expect_error = [](std::vector<MigrationFile> files, const std::string& needle) {
    try {
      plan_migrations(files, Dialect::sqlite);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const DbError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error({{"init.sql", ""}}, "must be named NNNN_description");
  expect_error({{"0001_init.txt", ""}}, "does not end in .sql");
  expect_error({{"0001_init.mysql.sql", ""}}, "unknown dialect 'mysql'");
  expect_error({{"0001_a.sql", ""}, {"0001_b.sql", ""}}, "share version 1");
  expect_error({{"0000_zero.sql", ""}}, "versions start at 1");
  expect_error({{"0004_only_pg.postgresql.sql", ""}}, "has no file for sqlite");
}

TEST(MigrationPlan, DialectFileReplacesTheGenericOne) {
  std::vector<MigrationFile> files{{"0001_a.sql", "generic"}, {"0001_a.postgresql.sql", "pg"}};
  EXPECT_EQ(plan_migrations(files, Dialect::sqlite).at(0).sql, "generic");
  EXPECT_EQ(plan_migrations(files, Dialect::postgresql).at(0).sql, "pg");
  EXPECT_EQ(plan_migrations(files, Dialect::postgresql).at(0).checksum, sha256_hex("pg"));
}

TEST(DatabaseUrl, ParsesAndRedacts) {
  auto u = parse_database_url("postgresql://app:s3cret@db.internal:5433/shop?schema=backend&sslmode=disable");
  EXPECT_EQ(u.dialect, Dialect::postgresql);
  EXPECT_EQ(u.schema, "backend");
  EXPECT_EQ(u.conninfo.find("schema="), std::string::npos);
  EXPECT_NE(u.conninfo.find("sslmode=disable"), std::string::npos);
  EXPECT_EQ(u.redacted, "postgresql://app:***@db.internal:5433/shop?schema=backend&sslmode=disable");
  auto s = parse_database_url("sqlite:data/x.db", "/srv");
  EXPECT_EQ(s.sqlite_path, "/srv/data/x.db");
  EXPECT_EQ(parse_database_url("sqlite:///abs/x.db", "/srv").sqlite_path, "/abs/x.db");
}

TEST(DatabaseUrl, BadUrlsSayWhatIsWrongWithoutThePassword) {
  auto expect_error = [](const std::string& url, const std::string& needle) {
    try {
      parse_database_url(url);
      ADD_FAILURE() << "accepted " << url;
    } catch (const DbError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
      EXPECT_EQ(msg.find("hunter2"), std::string::npos) << "password leaked: " << msg;
      EXPECT_EQ(e.kind(), ErrorKind::configuration);
    }
  };
  expect_error("mysql://u:hunter2@h/db", "unsupported scheme 'mysql'");
  expect_error("sqlite:", "no file path");
  expect_error("sqlite::memory:", "in-memory");
  expect_error("postgresql://u:hunter2@h/db?schema=Bad-Name", "schema must be");
  expect_error("postgresql://u:hunter2@h:port/db", "postgresql://u:***@h:port/db");
  expect_error("localhost:5432", "unsupported scheme 'localhost'");
}

}  // namespace
}  // namespace mmx::db
