// SQLite: one file per service, WAL so readers never block the writer, a busy timeout so
// other processes' writers are waited for rather than failed, and statements prepared once
// per connection. Parameters are `$1`..`$n` (SQLite treats `$1` as a name: each is mapped
// to its slot once, at prepare time). Statements measured to be quick may run inline on
// an io thread (ADR 0007): never waiting for a lock there, never syncing files there.
#include <sqlite3.h>

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <list>
#include <unordered_map>

#include "mmx/db/drivers.hpp"
#include "mmx/db/errors.hpp"
#include "tick_clock.hpp"

namespace mmx::db {
namespace {

ErrorKind kind_of(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::timeout;
    case SQLITE_CONSTRAINT:
      if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
        return ErrorKind::unique_violation;
      return ErrorKind::constraint;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return ErrorKind::configuration;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
      return ErrorKind::unavailable;
    default:
      return ErrorKind::query;
  }
}

// A WAL file past this many pages is checkpointed (SQLite's own autocheckpoint default).
constexpr int kCheckpointPages = 1000;
// After a statement ran over the inline budget it needs quick runs in a row (on a worker)
// before it runs inline again: one after an isolated overrun (a run preempted by another
// process, a page read from disk once), this many when it overran again within its last
// kForgiveRuns runs, so a statement whose cost varies does not flap.
constexpr int kCalmRuns = 8;
constexpr int kForgiveRuns = 1000;
// The progress handler (which ends inline reads that overrun) is asked every this many VM
// steps: a point SELECT takes a few dozen, so quick statements never pay for it.
constexpr int kProgressSteps = 1000;

using Clock = detail::TickClock;

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const DatabaseOptions& options, bool read_only)
      : path_(options.url.sqlite_path),
        busy_timeout_ms_(static_cast<int>(options.busy_timeout.count())),
        inline_budget_(options.sqlite_inline_budget) {
    Clock::init();
    budget_ticks_ = Clock::from_duration(inline_budget_);
    int flags = SQLITE_OPEN_NOMUTEX |
                (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
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
    // The busy timeout is switched off around inline runs (a statement never waits for a
    // lock on an io thread); our WAL hook replaces the autocheckpoint, which would sync
    // files inside an inline COMMIT.
    sqlite3_busy_timeout(db_, busy_timeout_ms_);
    sqlite3_progress_handler(db_, kProgressSteps, &SqliteConnection::on_progress, this);
    if (!read_only) sqlite3_wal_hook(db_, &SqliteConnection::on_wal_commit, this);
    try {
      // journal_mode=WAL is persistent and needs a write: only the writer sets it. The
      // first query proves the file is a database (SQLITE_NOTADB surfaces here).
      // synchronous=NORMAL: in WAL mode a COMMIT then writes but never fsyncs (only
      // checkpoints do), which is what lets commits run inline.
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
    ResultBuilder rows;
    const ParamViews views(params);
    rows.result.affected = execute_each(sql, views, rows);
    return std::move(rows.result);
  }

  std::int64_t execute_each(std::string_view sql, ParamSpan params,
                            RowConsumer& consumer) override {
    busy_timeout_on();
    // A checkpoint an inline COMMIT deferred runs here, on a worker, outside a transaction
    // (a connection inside one cannot checkpoint).
    if (checkpoint_due_ && sqlite3_get_autocommit(db_)) checkpoint();
    Statement& st = prepare(sql);
    std::int64_t affected = 0;
    int rc = run(st, params, consumer, Clock::now(), affected);
    if (rc != SQLITE_DONE) fail(rc, sql);
    return affected;
  }

  bool try_execute_inline(std::string_view sql, ParamSpan params, RowConsumer& consumer,
                          InlineRun& done) override {
    if (inline_budget_.count() <= 0) return false;
    if (checkpoint_due_ && sqlite3_get_autocommit(db_)) return false;
    Statement* found = cached(sql);
    if (!found) return false;  // first run: prepared (and timed) on a worker
    Statement& st = *found;
    if (st.quick_runs < st.quick_runs_needed) return false;
    // The first commit after a checkpoint restarts the WAL, and SQLite syncs the new WAL
    // header then: that commit runs on a worker.
    if (wal_restart_due_ && (st.commits || (!st.read_only && sqlite3_get_autocommit(db_))))
      return false;
    if (st.lru != lru_.begin()) lru_.splice(lru_.begin(), lru_, st.lru);
    const auto t0 = Clock::now();
    inline_ = true;
    interruptible_ = st.interruptible;
    inline_deadline_ = t0 + budget_ticks_;
    // No busy timeout here: a lock held elsewhere fails the statement at once. It stays off
    // for the next inline run; a worker's run switches it back on.
    if (!busy_off_) {
      sqlite3_busy_timeout(db_, 0);
      busy_off_ = true;
    }
    struct Restore {
      SqliteConnection& c;
      ~Restore() { c.inline_ = false; }
    };
    int rc = SQLITE_DONE;
    {
      Restore restore{*this};
      rc = run(st, params, consumer, t0, done.affected);
    }
    done.elapsed = Clock::to_duration(last_run_);
    if (rc == SQLITE_DONE) return true;
    // Another process holds the write lock (with no busy timeout, nothing waited here), or an
    // inline read overran its budget and was interrupted. Either way the statement did
    // nothing: the caller runs it again on a worker, where waiting is fine.
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_INTERRUPT) return false;
    fail(rc, sql);
  }

  void execute_script(std::string_view sql) override {
    busy_timeout_on();
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

  struct Statement {
    sqlite3_stmt* stmt = nullptr;
    std::list<std::string>::iterator lru;
    const std::string* text = nullptr;  // the cache key
    std::vector<int> slots;             // slots[i]: SQLite's parameter index of $(i+1)
    std::vector<std::string> columns;   // names, as of the `reprepared`-th preparation
    int reprepared = -1;
    std::uint64_t shape = 0;  // RowView::shape_id of `columns`
    bool read_only = false;
    // A query that returns rows and writes nothing may be interrupted (and re-run on a
    // worker); interrupting a write inside a transaction would roll the transaction back.
    bool interruptible = false;
    // Inline eligibility (ADR 0007): quick runs in a row, and how many are needed.
    int quick_runs = 0;
    int quick_runs_needed = 1;
    bool overran = false;  // within its last kForgiveRuns runs
    bool commits = false;  // COMMIT / END: writes the WAL although "read-only"
  };

  static bool ends_transaction(std::string_view sql) {
    const auto at = sql.find_first_not_of(" \t\r\n");
    if (at == std::string_view::npos) return false;
    auto word = [&](std::string_view w) {
      if (sql.size() - at < w.size()) return false;
      for (std::size_t i = 0; i < w.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(sql[at + i])) != w[i]) return false;
      return sql.size() - at == w.size() ||
             !std::isalpha(static_cast<unsigned char>(sql[at + w.size()]));
    };
    return word("COMMIT") || word("END");
  }

  void close() {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st.stmt);
    cache_.clear();
    lru_.clear();
    recent_ = {};
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  // The statement's current row, read in place.
  class StatementRow final : public RowView {
   public:
    StatementRow(sqlite3_stmt* s, const std::vector<std::string>& names, std::uint64_t shape)
        : s_(s), names_(names), n_(names.size()), shape_(shape) {}
    std::uint64_t shape_id() const override { return shape_; }
    std::size_t size() const override { return n_; }
    std::string_view name(std::size_t i) const override { return names_[i]; }
    Value value(std::size_t i) const override { return column(s_, static_cast<int>(i)); }
    // Through the cell's sqlite3_value: one column call per cell, then the cheap value_*
    // accessors (each sqlite3_column_* call re-validates the statement and its index).
    bool get_int(std::size_t i, std::int64_t& out) const override {
      sqlite3_value* v = sqlite3_column_value(s_, static_cast<int>(i));
      if (sqlite3_value_type(v) != SQLITE_INTEGER) return false;
      out = sqlite3_value_int64(v);
      return true;
    }
    bool get_text(std::size_t i, std::string_view& out) const override {
      sqlite3_value* v = sqlite3_column_value(s_, static_cast<int>(i));
      if (sqlite3_value_type(v) != SQLITE_TEXT) return false;
      auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      out = std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v)));
      return true;
    }
    bool is_null(std::size_t i) const override {
      return sqlite3_column_type(s_, static_cast<int>(i)) == SQLITE_NULL;
    }

   private:
    sqlite3_stmt* s_;
    const std::vector<std::string>& names_;
    std::size_t n_;
    std::uint64_t shape_;
  };

  // Binds, streams the rows to `consumer`, and times the run (from t0) for the inline
  // decision. Returns SQLITE_DONE or the failing step's code; the statement is reset
  // either way.
  int run(Statement& st, ParamSpan params, RowConsumer& consumer, Clock::Ticks t0,
          std::int64_t& affected) {
    sqlite3_stmt* stmt = st.stmt;
    // Reset, not cleared: every run binds every parameter before its first step (bind()
    // checks the count), so a binding left from the last run is never read.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() { sqlite3_reset(s); }
    } reset{stmt};
    // A run that syncs files (the commit that restarts the WAL after a checkpoint, or one
    // that checkpoints) only ever happens on a worker: its time says nothing about how
    // quick the statement is inline.
    synced_ = wal_restart_due_ && (st.commits || (!st.read_only && sqlite3_get_autocommit(db_)));
    bind(st, params);
    // The first step comes before the columns are looked at: a statement whose schema
    // changed is re-prepared inside it, possibly with other columns.
    int rc = sqlite3_step(stmt);
    // Column names are read once per preparation (sqlite3_column_name takes a mutex and
    // every caller would strlen it); SQLite counts each re-preparation.
    if (int n = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0); n != st.reprepared) {
      st.reprepared = n;
      st.columns.clear();
      for (int i = 0, c = sqlite3_column_count(stmt); i < c; ++i)
        st.columns.emplace_back(sqlite3_column_name(stmt, i));
      st.shape = next_shape_id();
    }
    StatementRow row(stmt, st.columns, st.shape);
    consumer.start(row);
    for (bool more = true; rc == SQLITE_ROW;) {
      if (more) more = consumer.row(row);
      // A statement that writes nothing may stop once the consumer has what it wants (the
      // reset ends its read); one that writes runs to its end.
      if (!more && st.read_only) {
        rc = SQLITE_DONE;
        break;
      }
      rc = sqlite3_step(stmt);
    }
    if (rc == SQLITE_DONE) affected = st.read_only ? 0 : sqlite3_changes64(db_);
    const Clock::Ticks t1 = Clock::now();
    last_run_ = t1 > t0 ? t1 - t0 : 0;
    if (synced_) {
      synced_ = false;
    } else if (last_run_ <= budget_ticks_) {
      // Saturating: a statement may run billions of times (an int counter would overflow).
      if (st.quick_runs < kForgiveRuns) ++st.quick_runs;
      if (st.quick_runs >= kForgiveRuns) st.overran = false;
    } else {
      st.quick_runs = 0;
      st.quick_runs_needed = st.overran ? kCalmRuns : 1;
      st.overran = true;
    }
    return rc;
  }

  void busy_timeout_on() {
    if (!busy_off_) return;
    sqlite3_busy_timeout(db_, busy_timeout_ms_);
    busy_off_ = false;
  }

  void checkpoint() {
    checkpoint_due_ = false;
    // PASSIVE: copies what no reader still needs and never waits for anyone.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    wal_restart_due_ = true;
  }

  // Ends an inline read that overran its budget (it is then run again on a worker).
  static int on_progress(void* self) {
    auto* c = static_cast<SqliteConnection*>(self);
    return c->inline_ && c->interruptible_ && Clock::now() > c->inline_deadline_ ? 1 : 0;
  }

  // After each commit of the writer. A checkpoint syncs the files, which must not happen on
  // an io thread: an inline commit leaves it to the next statement that runs on a worker.
  // A commit on a worker has written the WAL (restarting it if it was due).
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages) {
    auto* c = static_cast<SqliteConnection*>(self);
    if (!c->inline_) c->wal_restart_due_ = false;
    if (pages < kCheckpointPages) return SQLITE_OK;
    if (c->inline_) {
      c->checkpoint_due_ = true;
    } else {
      c->checkpoint_due_ = false;
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      c->wal_restart_due_ = true;
      c->synced_ = true;
    }
    return SQLITE_OK;
  }

  [[noreturn]] void fail(int rc, std::string_view sql) {
    int code = sqlite3_extended_errcode(db_);
    std::string msg = sqlite3_errmsg(db_);
    if ((rc & 0xff) == SQLITE_BUSY)
      msg = "database is locked by another writer for longer than the busy timeout";
    throw DbError(kind_of(code),
                  "SQLite: " + msg + " (in: " + std::string(sql.substr(0, 120)) + ")");
  }

  // The cached statement for this text, or null. Text passed by the same pointer as last
  // time (a string literal, nearly always) is found without hashing it; the text is still
  // compared, so a buffer reused for other SQL is never mistaken for its old statement.
  Statement* cached(std::string_view sql) {
    Recent& r = recent_[(reinterpret_cast<std::uintptr_t>(sql.data()) >> 3) % recent_.size()];
    if (r.data == sql.data() && r.st && r.st->text->size() == sql.size() &&
        std::memcmp(r.st->text->data(), sql.data(), sql.size()) == 0)
      return r.st;
    // Looked up by string_view: a cache hit (nearly every statement) allocates nothing.
    auto it = cache_.find(sql);
    if (it == cache_.end()) return nullptr;
    r = {sql.data(), &it->second};
    return &it->second;
  }

  Statement& prepare(std::string_view sql) {
    if (Statement* st = cached(sql)) {
      lru_.splice(lru_.begin(), lru_, st->lru);
      return *st;
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) fail(rc, sql);
    if (!stmt) throw DbError(ErrorKind::query, "SQLite: empty statement");
    if (tail && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(stmt);
      throw DbError(ErrorKind::query,
                    "SQLite: several statements given where one is expected; "
                    "use a script (migrations) for several");
    }
    Statement st;
    st.stmt = stmt;
    st.read_only = sqlite3_stmt_readonly(stmt) != 0;
    st.interruptible = st.read_only && sqlite3_column_count(stmt) > 0;
    st.commits = ends_transaction(sql);
    try {
      st.slots = parameter_slots(stmt);
    } catch (...) {
      sqlite3_finalize(stmt);
      throw;
    }
    if (cache_.size() >= kMaxStatements) {
      auto old = cache_.find(lru_.back());
      sqlite3_finalize(old->second.stmt);
      cache_.erase(old);
      lru_.pop_back();
      recent_ = {};  // may point at the statement just dropped
    }
    std::string key(sql);
    lru_.push_front(key);
    st.lru = lru_.begin();
    auto it = cache_.emplace(std::move(key), std::move(st)).first;
    it->second.text = &it->first;  // map keys stay put until erased
    return it->second;
  }

  // SQLite numbers parameters by first appearance and treats `$1` as a name: map each `$n`
  // to its index once, at prepare time, so binding is by position afterwards.
  static std::vector<int> parameter_slots(sqlite3_stmt* stmt) {
    const int declared = sqlite3_bind_parameter_count(stmt);
    std::vector<int> slots(static_cast<std::size_t>(declared), 0);
    for (int idx = 1; idx <= declared; ++idx) {
      const char* name = sqlite3_bind_parameter_name(stmt, idx);
      std::string_view n = name ? name : "";
      int number = 0;
      auto [p, ec] = n.size() > 1 && n[0] == '$'
                         ? std::from_chars(n.data() + 1, n.data() + n.size(), number)
                         : std::from_chars_result{n.data(), std::errc::invalid_argument};
      if (ec != std::errc() || p != n.data() + n.size() || number < 1 || number > declared)
        throw DbError(ErrorKind::query, "SQLite: parameters must be $1..$" +
                                            std::to_string(declared) + ", got '" +
                                            std::string(n.empty() ? "?" : n) + "'");
      slots[static_cast<std::size_t>(number - 1)] = idx;
    }
    return slots;
  }

  void bind(const Statement& st, ParamSpan params) {
    if (params.size() != st.slots.size())
      throw DbError(ErrorKind::query, "SQLite: the statement has " +
                                          std::to_string(st.slots.size()) + " parameter(s), " +
                                          std::to_string(params.size()) + " given");
    sqlite3_stmt* stmt = st.stmt;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = st.slots[i];
      const Param& p = params[i];
      // Text and bytes are bound without a copy: params outlive the run, and the next run
      // binds anew before it steps.
      int rc = SQLITE_OK;
      switch (p.kind) {
        case Param::Kind::integer:
          rc = sqlite3_bind_int64(stmt, idx, p.integer);
          break;
        case Param::Kind::text:
          rc = sqlite3_bind_text64(stmt, idx, p.data, p.size, SQLITE_STATIC, SQLITE_UTF8);
          break;
        case Param::Kind::null:
          rc = sqlite3_bind_null(stmt, idx);
          break;
        case Param::Kind::real:
          rc = sqlite3_bind_double(stmt, idx, p.real);
          break;
        case Param::Kind::boolean:
          rc = sqlite3_bind_int(stmt, idx, p.boolean ? 1 : 0);
          break;
        case Param::Kind::blob:
          rc = sqlite3_bind_blob64(stmt, idx, p.data, p.size, SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK) fail(rc, sqlite3_sql(stmt));
    }
  }

  static Value column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return std::int64_t{sqlite3_column_int64(stmt, i)};
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, i);
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
      default:
        return std::monostate{};
    }
  }

  std::string path_;
  int busy_timeout_ms_;
  std::chrono::microseconds inline_budget_;
  sqlite3* db_ = nullptr;
  // Inline run state, read by the SQLite callbacks on the same thread.
  bool inline_ = false;
  bool interruptible_ = false;
  bool checkpoint_due_ = false;
  bool wal_restart_due_ = false;  // checkpointed: the next commit may restart the WAL
  bool synced_ = false;           // the current run synced files (a worker's run)
  Clock::Ticks budget_ticks_ = 0;
  Clock::Ticks inline_deadline_ = 0;
  Clock::Ticks last_run_ = 0;
  bool busy_off_ = false;  // the busy timeout is off (inline runs) until a worker's run
  std::list<std::string> lru_;
  struct Recent {
    const char* data = nullptr;
    Statement* st = nullptr;
  };
  std::array<Recent, 16> recent_{};
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Statement, TextHash, std::equal_to<>> cache_;
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
