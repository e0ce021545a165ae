#pragma once
// A thin layer over one sqlite3 connection for the SQLite log: cached prepared statements,
// transactions, and SQLite failures turned into BrokerError naming the broker URL.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mmx/broker/backend.hpp"

namespace mmx::broker::backends::sqlite_log {

class Db;

// A cached prepared statement in use; reset (and its bindings cleared) when it goes out of
// scope so the cache can hand it out again.
class Stmt {
 public:
  Stmt(Db& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, std::string_view text);
  Stmt& bind_blob(int index, std::string_view bytes);
  Stmt& bind_null(int index);
  // Advances to the next row: true when there is one, false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();

  std::int64_t int64(int column) const;
  bool is_null(int column) const;
  std::string_view blob(int column) const;
  std::string text(int column) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
};

class Db {
 public:
  // Opens (creating if missing) the file in WAL mode. `label` names the broker in errors
  // ("sqlite:/var/lib/mmx/events.db").
  Db(const std::string& path, std::string label, bool synchronous_full,
     std::chrono::milliseconds busy_timeout);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // `sql` must be a string literal: the cache is keyed by its address.
  Stmt prepare(const char* sql);
  void exec(const char* sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  // Changes whenever another connection (any process) commits to the file.
  std::int64_t data_version();

  // Throws BrokerError for an SQLite result code; `what` says what was being done.
  [[noreturn]] void fail(int rc, std::string_view what);
  // False after an I/O-level failure: the owner should drop this connection and reopen.
  bool healthy() const { return healthy_; }
  const std::string& label() const { return label_; }

 private:
  static int on_busy(void* self, int count);

  sqlite3* db_ = nullptr;
  std::string label_;
  std::chrono::milliseconds busy_timeout_;
  std::chrono::steady_clock::time_point busy_since_{};
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  bool healthy_ = true;
};

// BEGIN IMMEDIATE for writes (takes the write lock up front, so a transaction never fails
// half-way with SQLITE_BUSY) or a deferred read snapshot; rolled back unless committed.
class Transaction {
 public:
  enum class Mode { read, write };
  Transaction(Db& db, Mode mode);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Db& db_;
  bool open_ = true;
};

}  // namespace mmx::broker::backends::sqlite_log
