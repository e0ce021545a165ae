// SQLite: one file per service, WAL so readers never block the writer, a busy timeout so
// other processes' writers are waited for rather than failed, and statements prepared once
// per connection. Parameters are `$1`..`$n`: SQLite treats `$1` as a named parameter, so
// each is looked up by name, which also makes reuse and any order work.
#include <sqlite3.h>

#include <filesystem>
#include <list>
#include <unordered_map>

#include "mmx/db/drivers.hpp"
#include "mmx/db/errors.hpp"

namespace mmx::db {
namespace {

ErrorKind kind_of(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorKind::timeout;
    case SQLITE_CONSTRAINT:
      if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
        return ErrorKind::unique_violation;
      return ErrorKind::constraint;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_READONLY: return ErrorKind::configuration;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT: return ErrorKind::unavailable;
    default: return ErrorKind::query;
  }
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const DatabaseOptions& options, bool read_only) : path_(options.url.sqlite_path) {
    int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY
                                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!read_only) {
      std::error_code ec;
      auto dir = std::filesystem::path(path_).parent_path();
      if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    }
    int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw DbError(ErrorKind::configuration, "cannot open SQLite database " + path_ + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    try {
      // journal_mode=WAL is persistent and needs a write: only the writer sets it. The
      // first query proves the file is a database (SQLITE_NOTADB surfaces here).
      if (!read_only) execute_script("PRAGMA journal_mode=WAL");
      execute_script("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY");
      execute("SELECT count(*) FROM sqlite_master", {});
    } catch (...) {
      close();
      throw;
    }
  }
  ~SqliteConnection() override { close(); }

  Result execute(std::string_view sql, const Params& params) override {
    sqlite3_stmt* stmt = prepare(sql);
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};
    bind(stmt, params);
    Result result;
    int ncol = sqlite3_column_count(stmt);
    result.columns.reserve(ncol);
    for (int i = 0; i < ncol; ++i) result.columns.emplace_back(sqlite3_column_name(stmt, i));
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc, sql);
      auto& row = result.rows.emplace_back();
      row.reserve(ncol);
      for (int i = 0; i < ncol; ++i) row.push_back(column(stmt, i));
    }
    result.affected = sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes64(db_);
    return result;
  }

  void execute_script(std::string_view sql) override {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw DbError(kind_of(sqlite3_extended_errcode(db_)), "SQLite: " + msg);
    }
  }

  bool healthy() const override { return db_ != nullptr; }

 private:
  static constexpr std::size_t kMaxStatements = 256;

  void close() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt.first);
    cache_.clear();
    lru_.clear();
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  [[noreturn]] void fail(int rc, std::string_view sql) {
    int code = sqlite3_extended_errcode(db_);
    std::string msg = sqlite3_errmsg(db_);
    if ((rc & 0xff) == SQLITE_BUSY)
      msg = "database is locked by another writer for longer than the busy timeout";
    throw DbError(kind_of(code), "SQLite: " + msg + " (in: " + std::string(sql.substr(0, 120)) + ")");
  }

  sqlite3_stmt* prepare(std::string_view sql) {
    // Looked up by string_view: a cache hit (nearly every statement) allocates nothing.
    if (auto it = cache_.find(sql); it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      return it->second.first;
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) fail(rc, sql);
    if (!stmt) throw DbError(ErrorKind::query, "SQLite: empty statement");
    if (tail && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(stmt);
      throw DbError(ErrorKind::query, "SQLite: several statements given where one is expected; "
                                      "use a script (migrations) for several");
    }
    if (cache_.size() >= kMaxStatements) {
      auto& victim = lru_.back();
      auto old = cache_.find(victim);
      sqlite3_finalize(old->second.first);
      cache_.erase(old);
      lru_.pop_back();
    }
    std::string key(sql);
    lru_.push_front(key);
    cache_.emplace(std::move(key), std::make_pair(stmt, lru_.begin()));
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, const Params& params) {
    int declared = sqlite3_bind_parameter_count(stmt);
    int used = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::string name = "$" + std::to_string(i + 1);
      int idx = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (idx == 0)
        throw DbError(ErrorKind::query, "SQLite: parameter " + name + " is not used by the statement");
      ++used;
      const Value& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v)) rc = sqlite3_bind_null(stmt, idx);
      else if (auto* n = std::get_if<std::int64_t>(&v)) rc = sqlite3_bind_int64(stmt, idx, *n);
      else if (auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(stmt, idx, *d);
      else if (auto* b = std::get_if<bool>(&v)) rc = sqlite3_bind_int(stmt, idx, *b ? 1 : 0);
      else if (auto* s = std::get_if<std::string>(&v))
        rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      else if (auto* bl = std::get_if<Blob>(&v))
        rc = sqlite3_bind_blob64(stmt, idx, bl->bytes.data(), bl->bytes.size(), SQLITE_TRANSIENT);
      if (rc != SQLITE_OK) fail(rc, sqlite3_sql(stmt));
    }
    if (used != declared)
      throw DbError(ErrorKind::query, "SQLite: the statement has " + std::to_string(declared) +
                                          " parameter(s), " + std::to_string(params.size()) +
                                          " given");
  }

  static Value column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER: return std::int64_t{sqlite3_column_int64(stmt, i)};
      case SQLITE_FLOAT: return sqlite3_column_double(stmt, i);
      case SQLITE_TEXT: {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
      }
      case SQLITE_BLOB: {
        auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, i));
        Blob b;
        b.bytes.assign(p, p + sqlite3_column_bytes(stmt, i));
        return b;
      }
      default: return std::monostate{};
    }
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::list<std::string> lru_;
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::pair<sqlite3_stmt*, std::list<std::string>::iterator>,
                     TextHash, std::equal_to<>>
      cache_;
};

class SqliteDriver final : public Driver {
 public:
  explicit SqliteDriver(const DatabaseOptions& options) : options_(options) {}
  Dialect dialect() const override { return Dialect::sqlite; }
  std::unique_ptr<Connection> connect(bool read_only) override {
    return std::make_unique<SqliteConnection>(options_, read_only);
  }
  std::string begin_sql() const override { return "BEGIN IMMEDIATE"; }
  std::string display_name() const override { return "sqlite:" + options_.url.sqlite_path; }
  bool separate_readers() const override { return true; }

 private:
  DatabaseOptions options_;
};

}  // namespace

std::unique_ptr<Driver> make_sqlite_driver(const DatabaseOptions& options) {
  return std::make_unique<SqliteDriver>(options);
}

}  // namespace mmx::db
