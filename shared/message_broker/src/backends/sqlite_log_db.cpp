#include "sqlite_log_db.hpp"

#include <algorithm>
#include <thread>

namespace mmx::broker::backends::sqlite_log {

using namespace std::chrono_literals;
using Kind = BrokerError::Kind;

Stmt::~Stmt() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Stmt& Stmt::bind(int index, std::int64_t value) {
  if (int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

Stmt& Stmt::bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

Stmt& Stmt::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob must not be bound as NULL (a null data pointer would do that).
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(), bytes.size(),
                               SQLITE_STATIC);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, sqlite3_sql(stmt_));
}

void Stmt::run() {
  while (step()) {
  }
}

std::int64_t Stmt::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Stmt::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::string_view Stmt::blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
  return data ? std::string_view(static_cast<const char*>(data), size) : std::string_view{};
}

std::string Stmt::text(int column) const { return std::string(blob(column)); }

Db::Db(const std::string& path, std::string label, bool synchronous_full,
       std::chrono::milliseconds busy_timeout)
    : label_(std::move(label)), busy_timeout_(busy_timeout) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw BrokerError((rc & 0xff) == SQLITE_CANTOPEN ? Kind::configuration : Kind::unavailable,
                      "broker " + label_ + ": cannot open the file: " + msg);
  }
  try {
    sqlite3_busy_handler(db_, &Db::on_busy, this);
    // Setting WAL reads the header first, so a file that is not a database fails here.
    auto mode = prepare("PRAGMA journal_mode=WAL");
    if (!mode.step() || mode.text(0) != "wal")
      throw BrokerError(Kind::configuration, "broker " + label_ +
                                                 ": the file cannot be put in WAL mode (is it on a "
                                                 "network file system?)");
    exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    // Truncate the WAL back to 64 MiB after checkpoints rather than keeping its peak size.
    exec("PRAGMA journal_size_limit=67108864");
  } catch (...) {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
    throw;
  }
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Stmt Db::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
    it = cache_.emplace(sql, stmt).first;
  }
  return Stmt(*this, it->second);
}

void Db::exec(const char* sql) { prepare(sql).run(); }

std::int64_t Db::data_version() {
  auto s = prepare("PRAGMA data_version");
  s.step();
  return s.int64(0);
}

void Db::fail(int rc, std::string_view what) {
  int primary = rc & 0xff;
  std::string detail = db_ && sqlite3_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string where = "broker " + label_ + ": ";
  switch (primary) {
    case SQLITE_NOTADB:
      throw BrokerError(Kind::configuration,
                        where + "the file is not a SQLite database (" + detail + ")");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw BrokerError(Kind::unavailable,
                        where + "the file stayed locked by another connection for more than " +
                            std::to_string(busy_timeout_.count()) + " ms (" + detail + ")");
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      healthy_ = false;
      break;
    default:
      break;
  }
  throw BrokerError(Kind::unavailable,
                    where + detail + " (while running: " + std::string(what) + ")");
}

int Db::on_busy(void* self_ptr, int count) {
  auto* self = static_cast<Db*>(self_ptr);
  auto now = std::chrono::steady_clock::now();
  if (count == 0) self->busy_since_ = now;
  if (now - self->busy_since_ >= self->busy_timeout_) return 0;
  // Write transactions on this file last well under a millisecond, so start with short naps:
  // SQLite's own handler sleeps 1, 2, 5, 10... ms, which would dominate publish->poll latency.
  auto nap = std::min<std::chrono::microseconds>(50us * (1 << std::min(count, 7)), 2ms);
  std::this_thread::sleep_for(nap);
  return 1;
}

Transaction::Transaction(Db& db, Mode mode) : db_(db) {
  db_.exec(mode == Mode::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (...) {
    // The connection already rolled back (an I/O error does that) or is being dropped.
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace mmx::broker::backends::sqlite_log
