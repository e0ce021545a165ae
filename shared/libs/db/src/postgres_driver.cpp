// The PostgreSQL driver over libpq. Blocking by design: the pool runs these calls on
// worker threads. Each connection caches its prepared statements, speaks UTC and ISO
// dates, and maps SQLSTATEs onto ErrorKind so callers can tell retry from 409 from 503.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mmx/db/drivers.hpp"
#include "mmx/db/errors.hpp"

namespace mmx::db {
namespace {

// Type OIDs from pg_type.dat; stable across PostgreSQL versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kTimestampOid = 1114;
constexpr Oid kTimestampTzOid = 1184;

// Enough for any service's working set; past it the least recently used statement goes.
constexpr std::size_t kStatementCacheSize = 256;

// A dead peer that never sends RST: keepalives notice an idle socket in about 11 s, and
// tcp_user_timeout bounds a send the server never acknowledges.
constexpr const char* kKeepalivesIdle = "5";
constexpr const char* kKeepalivesInterval = "2";
constexpr const char* kKeepalivesCount = "3";
constexpr const char* kTcpUserTimeoutMs = "20000";

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

// Fixed per driver: what every connection needs to open, name itself and scrub messages.
struct Settings {
  std::string conninfo;
  std::string display;   // the redacted URL
  std::string password;  // only to scrub it from messages should libpq ever echo it
  std::string schema;
  std::string application_name;
  std::string parse_error;  // non-empty: the URL is unusable, connect() reports it
  std::chrono::seconds connect_timeout{10};
  std::chrono::milliseconds statement_timeout{30000};
};

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "Connection refused" reads better mid-sentence as "connection refused"; "SSL ..." stays.
std::string lower_first(std::string s) {
  if (s.size() >= 2 && is_upper(s[0]) && is_lower(s[1])) s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// Defence in depth: libpq does not echo passwords, but a message built from its text must
// never carry one. Very short "passwords" would mangle every message and protect nothing.
std::string scrub(std::string message, const std::string& password) {
  if (password.size() < 4) return message;
  for (std::size_t at = message.find(password); at != std::string::npos;
       at = message.find(password, at + 3))
    message.replace(at, password.size(), "***");
  return message;
}

bool is_sqlstate(std::string_view s) {
  return s.size() == 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c) || is_upper(c); });
}

// libpq's multi-line text ("...failed: Connection refused\n\tIs the server running...?")
// as one line: "connection refused (is the server running ...?)". Verbose server errors
// ("FATAL:  28P01: ...\nLOCATION: ...") lose severity and location, and their SQLSTATE
// goes to *sqlstate. A single connection attempt drops libpq's "connection to server at
// ... failed:" prefix because the caller names the server already; several keep theirs.
std::string tidy_libpq_message(std::string_view raw, std::string* sqlstate = nullptr) {
  struct Attempt {
    std::string where;  // "connection to server at ... failed"
    std::string main;
    std::string hint;
  };
  std::vector<Attempt> attempts(1);
  while (!raw.empty()) {
    const std::size_t eol = raw.find('\n');
    std::string_view line = trim(raw.substr(0, eol));
    raw = eol == std::string_view::npos ? std::string_view{} : raw.substr(eol + 1);
    if (line.empty() || line.starts_with("LOCATION:") || line.starts_with("DETAIL:") ||
        line.starts_with("CONTEXT:"))
      continue;
    if (line.starts_with("connection to server ")) {
      if (const std::size_t f = line.find(" failed: "); f != std::string_view::npos) {
        if (!attempts.back().main.empty() || !attempts.back().where.empty())
          attempts.emplace_back();
        attempts.back().where = std::string(line.substr(0, f + 7));
        line = trim(line.substr(f + 8));
      }
    }
    for (std::string_view severity : {"FATAL:", "ERROR:", "PANIC:"}) {
      if (line.starts_with(severity)) {
        line = trim(line.substr(severity.size()));
        if (line.size() > 6 && line[5] == ':' && is_sqlstate(line.substr(0, 5))) {
          if (sqlstate && sqlstate->empty()) *sqlstate = std::string(line.substr(0, 5));
          line = trim(line.substr(6));
        }
      }
    }
    bool hint = false;
    if (line.starts_with("HINT:")) {
      line = trim(line.substr(5));
      hint = true;
    }
    if (line.empty()) continue;
    Attempt& a = attempts.back();
    if (a.main.empty() && !hint) {
      a.main = std::string(line);
    } else {
      if (!a.hint.empty()) a.hint += ' ';
      a.hint += line;
    }
  }
  std::string out;
  for (const Attempt& a : attempts) {
    if (a.main.empty() && a.hint.empty()) continue;
    std::string text = lower_first(a.main.empty() ? a.hint : a.main);
    if (!a.main.empty() && !a.hint.empty()) {
      std::string hint = lower_first(a.hint);
      if (hint.ends_with('.')) hint.pop_back();
      text += " (" + hint + ")";
    }
    if (!out.empty()) out += "; ";
    if (attempts.size() > 1 && !a.where.empty()) out += a.where + ": ";
    out += text;
  }
  return out.empty() ? std::string("unknown libpq error") : out;
}

ErrorKind kind_for_sqlstate(std::string_view s) {
  if (s == "40001" || s == "40P01") return ErrorKind::serialization;
  if (s == "23505") return ErrorKind::unique_violation;
  if (s.starts_with("23")) return ErrorKind::constraint;
  // query_canceled covers statement_timeout; lock_not_available is lock_timeout / NOWAIT.
  if (s == "57014" || s == "55P03") return ErrorKind::timeout;
  if (s == "28P01" || s == "28000") return ErrorKind::authentication;
  // Class 08 and the 57P* operator interventions (shutdown, crash, starting up, dropped
  // database, idle timeouts) all mean this server or connection is gone for now.
  if (s.starts_with("08") || s.starts_with("57P") || s == "53300") return ErrorKind::unavailable;
  return ErrorKind::query;
}

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? std::string(trim(v)) : std::string();
}

// --- parameters --------------------------------------------------------------------

std::string double_text(double d) {
  // PostgreSQL spells the specials its own way; std::to_chars would give "inf" / "nan".
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
  return std::string(buf, res.ptr);
}

// libpq wants parallel arrays of OIDs, values, lengths and formats. Explicit OIDs for the
// typed values make `SELECT $1` and `jsonb_build_object('k', $1)` resolve and keep
// `$1 * 1000` in int8 arithmetic; strings stay untyped (0) so the server reads them as
// whatever the context wants: timestamptz, jsonb, uuid, numeric, enum.
struct BoundParams {
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<std::string> texts;  // owns the text of numbers and booleans

  explicit BoundParams(ParamSpan params) {
    const std::size_t n = params.size();
    types.resize(n);
    values.resize(n);
    lengths.resize(n);
    formats.resize(n);
    texts.reserve(n);  // never reallocates below, so c_str() pointers stay valid
    static const char kEmpty[] = "";
    for (std::size_t i = 0; i < n; ++i) {
      const Param& p = params[i];
      switch (p.kind) {
        case Param::Kind::integer:
          types[i] = kInt8Oid;
          values[i] = texts.emplace_back(std::to_string(p.integer)).c_str();
          break;
        case Param::Kind::real:
          types[i] = kFloat8Oid;
          values[i] = texts.emplace_back(double_text(p.real)).c_str();
          break;
        case Param::Kind::boolean:
          types[i] = kBoolOid;
          values[i] = p.boolean ? "true" : "false";
          break;
        case Param::Kind::text:
          // Text values travel NUL-terminated (Param guarantees the terminator): an
          // embedded NUL would silently cut the value short (and PostgreSQL text cannot
          // hold one anyway).
          if (std::memchr(p.data, '\0', p.size) != nullptr)
            throw DbError(ErrorKind::query, "parameter $" + std::to_string(i + 1) +
                                                ": text with a NUL byte (use a Blob for bytes)");
          values[i] = p.data;
          break;
        case Param::Kind::blob:
          if (p.size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            throw DbError(ErrorKind::query, "parameter $" + std::to_string(i + 1) +
                                                ": blob larger than libpq can send");
          types[i] = kByteaOid;
          formats[i] = 1;  // binary bytea: raw bytes, no escaping
          lengths[i] = static_cast<int>(p.size);
          // A null pointer would mean SQL NULL, so an empty blob points at something.
          values[i] = p.size == 0 ? kEmpty : p.data;
          break;
        case Param::Kind::null:  // OID 0 and a null pointer, which libpq sends as NULL
          break;
      }
    }
  }
  int count() const { return static_cast<int>(values.size()); }
};

// --- results -----------------------------------------------------------------------

// PostgreSQL's ISO output ("2026-11-24 17:58:07.25+00") in RFC 3339
// ("2026-11-24T17:58:07.25Z"). A timestamp without time zone is read as UTC, the session
// zone. Values with no RFC 3339 spelling (infinity, BC, years past 9999, offsets with
// seconds) are returned as PostgreSQL printed them.
std::string rfc3339_timestamp(std::string_view v) {
  if (v.size() < 19 || v[4] != '-' || v[7] != '-' || v[10] != ' ' || v[13] != ':' || v[16] != ':')
    return std::string(v);
  std::size_t i = 19;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && is_digit(v[i])) ++i;
  }
  std::string out(v.substr(0, i));
  out[10] = 'T';
  const std::string_view zone = v.substr(i);
  const bool signed_zone = !zone.empty() && (zone[0] == '+' || zone[0] == '-');
  if (zone.empty() || zone == "+00" || zone == "+00:00") return out + 'Z';
  if (signed_zone && zone.size() == 3 && is_digit(zone[1]) && is_digit(zone[2]))
    return out + std::string(zone) + ":00";
  if (signed_zone && zone.size() == 6 && zone[3] == ':') return out + std::string(zone);
  return std::string(v);
}

Value convert_cell(Oid type, const char* text, int length) {
  const std::string_view s(text, static_cast<std::size_t>(length));
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t x = 0;
      const auto res = std::from_chars(s.data(), s.data() + s.size(), x);
      if (res.ec != std::errc() || res.ptr != s.data() + s.size())
        throw DbError(ErrorKind::mapping,
                      "PostgreSQL returned a malformed integer: " + std::string(s));
      return x;
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      // from_chars reads "Infinity", "-Infinity" and "NaN" as well (case-insensitive).
      double d = 0;
      const auto res = std::from_chars(s.data(), s.data() + s.size(), d);
      if (res.ec != std::errc() || res.ptr != s.data() + s.size())
        throw DbError(ErrorKind::mapping,
                      "PostgreSQL returned a malformed float: " + std::string(s));
      return d;
    }
    case kBoolOid:
      return s == "t";
    case kByteaOid: {
      std::size_t n = 0;
      unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
      if (!raw) throw DbError(ErrorKind::mapping, "cannot decode a bytea value (out of memory?)");
      Blob blob{std::vector<std::uint8_t>(raw, raw + n)};
      PQfreemem(raw);
      return blob;
    }
    case kTimestampOid:
    case kTimestampTzOid:
      return rfc3339_timestamp(s);
    default:
      // numeric stays text so no digit is lost; json, uuid, date, arrays, enums are text.
      return std::string(s);
  }
}

// Rows changed by INSERT / UPDATE / DELETE / MERGE / COPY. A SELECT's tag also carries a
// count (its row count), which is not a change.
std::int64_t affected_rows(PGresult* r) {
  const std::string_view tag = PQcmdStatus(r);
  if (tag.starts_with("SELECT") || tag.starts_with("FETCH") || tag.starts_with("MOVE")) return 0;
  const std::string_view n = PQcmdTuples(r);
  std::int64_t x = 0;
  if (n.empty() || std::from_chars(n.data(), n.data() + n.size(), x).ec != std::errc()) return 0;
  return x;
}

Result to_result(PGresult* r) {
  Result out;
  const int fields = PQnfields(r);
  const int tuples = PQntuples(r);
  out.columns.reserve(static_cast<std::size_t>(fields));
  std::vector<Oid> types(static_cast<std::size_t>(fields));
  for (int c = 0; c < fields; ++c) {
    out.columns.emplace_back(PQfname(r, c));
    types[static_cast<std::size_t>(c)] = PQftype(r, c);
  }
  out.rows.reserve(static_cast<std::size_t>(tuples));
  for (int t = 0; t < tuples; ++t) {
    std::vector<Value>& row = out.rows.emplace_back();
    row.reserve(static_cast<std::size_t>(fields));
    for (int c = 0; c < fields; ++c) {
      if (PQgetisnull(r, t, c)) {
        row.emplace_back();
      } else {
        row.push_back(convert_cell(types[static_cast<std::size_t>(c)], PQgetvalue(r, t, c),
                                   PQgetlength(r, t, c)));
      }
    }
  }
  out.affected = affected_rows(r);
  return out;
}

bool result_ok(const PGresult* r) {
  if (!r) return false;
  const ExecStatusType st = PQresultStatus(r);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

void ignore_notice(void*, const char*) {}

// --- connection --------------------------------------------------------------------

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PgConn conn, std::shared_ptr<const Settings> settings)
      : conn_(std::move(conn)), settings_(std::move(settings)) {}

  Result execute(std::string_view sql, const Params& params) override {
    const ParamViews views(params);
    return run(sql, views);
  }

  std::int64_t execute_each(std::string_view sql, ParamSpan params,
                            RowConsumer& consumer) override {
    Result r = run(sql, params);
    replay(r, consumer);
    return r.affected;
  }

  void execute_script(std::string_view sql) override {
    PgResult r(PQexec(conn_.get(), std::string(sql).c_str()));
    if (!result_ok(r.get())) throw error_from(r.get());
  }

  bool healthy() const override { return !broken_ && PQstatus(conn_.get()) == CONNECTION_OK; }

 private:
  Result run(std::string_view sql, ParamSpan params) {
    const BoundParams bound(params);
    std::string key(sql);
    key += '\0';
    key.append(reinterpret_cast<const char*>(bound.types.data()), bound.types.size() * sizeof(Oid));
    // A statement can go stale under us: DISCARD / DEALLOCATE ALL dropped it (26000), or
    // a migration changed a table so its cached plan would change result type (0A000).
    // Either way the next use prepares it afresh. Outside a transaction that happens at
    // once; inside, the transaction is already aborted and the caller sees the error
    // (a retried transaction then finds the statement re-prepared).
    for (int attempt = 0;; ++attempt) {
      const std::string& name = prepared(key, sql, bound.types);
      PgResult r(PQexecPrepared(conn_.get(), name.c_str(), bound.count(), bound.values.data(),
                                bound.lengths.data(), bound.formats.data(), 0));
      if (result_ok(r.get())) return to_result(r.get());
      const std::string state = r ? field(r.get(), PG_DIAG_SQLSTATE) : std::string();
      if (state == "26000" || state == "0A000") {
        forget(key, /*deallocate=*/state == "0A000");
        if (attempt == 0 && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) continue;
      }
      throw error_from(r.get());
    }
  }

  struct Entry {
    std::string key;
    std::string name;
  };

  // The server-side name for this SQL and parameter types, preparing it on first use.
  const std::string& prepared(const std::string& key, std::string_view sql,
                              const std::vector<Oid>& types) {
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);  // most recently used goes first
      return it->second->name;
    }
    if (lru_.size() >= kStatementCacheSize) forget(lru_.back().key, /*deallocate=*/true);
    // Names are never reused, so a DEALLOCATE that failed cannot collide with a later one.
    std::string name = "mmx_" + std::to_string(++next_statement_);
    PgResult r(PQprepare(conn_.get(), name.c_str(), std::string(sql).c_str(),
                         static_cast<int>(types.size()), types.data()));
    if (!result_ok(r.get())) throw error_from(r.get());
    lru_.push_front(Entry{key, std::move(name)});
    index_.emplace(lru_.front().key, lru_.begin());
    return lru_.front().name;
  }

  void forget(const std::string& key, bool deallocate) {
    const auto it = index_.find(key);
    if (it == index_.end()) return;
    const auto entry = it->second;
    index_.erase(it);
    if (deallocate) {
      // Best effort: in an aborted transaction this fails and the statement lingers until
      // the session ends, which costs server memory only.
      PgResult r(PQexec(conn_.get(), ("DEALLOCATE " + entry->name).c_str()));
    }
    lru_.erase(entry);
  }

  DbError error_from(const PGresult* r) {
    if (const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
      // The connection now waits for COPY data this interface cannot supply: retire it.
      broken_ = true;
      return DbError(ErrorKind::query, "COPY ... FROM STDIN / TO STDOUT is not supported here");
    }
    const bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
    const std::string state = r ? field(r, PG_DIAG_SQLSTATE) : std::string();
    ErrorKind kind = state.empty() ? ErrorKind::query : kind_for_sqlstate(state);
    // 08P01 on a live connection is the caller's mistake (too few parameters for the
    // statement), not a lost server: the connection stays usable.
    if (state == "08P01" && !lost) kind = ErrorKind::query;
    if (lost) kind = ErrorKind::unavailable;
    std::string message;
    if (std::string primary = r ? field(r, PG_DIAG_MESSAGE_PRIMARY) : std::string();
        !primary.empty()) {
      message = std::move(primary);
    } else {
      const char* text = r ? PQresultErrorMessage(r) : "";
      message = tidy_libpq_message(*text ? text : PQerrorMessage(conn_.get()));
    }
    if (!state.empty()) message += " (SQLSTATE " + state + ")";
    if (kind == ErrorKind::unavailable) {
      broken_ = true;  // the pool must not hand this connection out again
      message = "lost connection to " + settings_->display + ": " + message;
    }
    return DbError(kind, scrub(std::move(message), settings_->password), state);
  }

  PgConn conn_;
  std::shared_ptr<const Settings> settings_;
  bool broken_ = false;
  std::uint64_t next_statement_ = 0;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // keys live in lru_
};

// --- driver ------------------------------------------------------------------------

class PostgresDriver final : public Driver {
 public:
  explicit PostgresDriver(const DatabaseOptions& options)
      : settings_(std::make_shared<Settings>(make_settings(options))) {}

  Dialect dialect() const override { return Dialect::postgresql; }
  std::string begin_sql() const override { return "BEGIN"; }
  std::string display_name() const override { return settings_->display; }
  bool separate_readers() const override { return false; }

  std::unique_ptr<Connection> connect(bool read_only) override {
    if (!settings_->parse_error.empty())
      throw DbError(ErrorKind::configuration, settings_->parse_error);
    PgConn conn = open();
    setup_session(conn.get(), read_only);
    return std::make_unique<PostgresConnection>(std::move(conn), settings_);
  }

 private:
  static Settings make_settings(const DatabaseOptions& options) {
    Settings s;
    s.conninfo = options.url.conninfo;
    s.display =
        options.url.redacted.empty() ? std::string("postgresql://(url)") : options.url.redacted;
    s.schema = options.url.schema;
    s.application_name = "micromax-" + (options.name.empty() ? std::string("db") : options.name);
    s.statement_timeout = options.statement_timeout;
    // One attempt may take connect_wait, bounded so a blackholed host is retried (by
    // whoever waits for the server) rather than hung on, and never below libpq's 2 s.
    const auto wait = std::chrono::duration_cast<std::chrono::seconds>(options.connect_wait);
    s.connect_timeout = std::clamp(wait, std::chrono::seconds(2), std::chrono::seconds(10));
    char* err = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(s.conninfo.c_str(), &err);
    if (!parsed) {
      // libpq's own text may quote the offending token, which can be the password.
      s.parse_error = "invalid PostgreSQL URL " + s.display +
                      " (libpq cannot parse it; check its syntax and percent-encoding)";
      if (err) PQfreemem(err);
      return s;
    }
    for (PQconninfoOption* o = parsed; o->keyword; ++o) {
      if (!o->val || !*o->val) continue;
      const std::string_view key = o->keyword;
      if (key == "password") {
        s.password = o->val;
      } else if (key == "connect_timeout") {
        // The URL's own setting wins, as in libpq; 0 (wait forever) is not honoured.
        int secs = 0;
        const std::string_view v = o->val;
        if (std::from_chars(v.data(), v.data() + v.size(), secs).ec == std::errc() && secs > 0)
          s.connect_timeout = std::chrono::seconds(std::max(secs, 2));
      }
    }
    PQconninfoFree(parsed);
    return s;
  }

  // Connects by polling, not PQconnectdb: only a connection started this way can switch
  // to verbose errors before the server answers, and that puts the SQLSTATE of a failed
  // login (28P01, 3D000, 57P03) into the message where it can be read reliably whatever
  // language the server speaks. Our deadline replaces libpq's connect_timeout, which only
  // PQconnectdb's own loop enforces.
  PgConn open() {
    // Entries before dbname are defaults the URL may override; after it, they are forced.
    const char* keywords[] = {"application_name",
                              "keepalives",
                              "keepalives_idle",
                              "keepalives_interval",
                              "keepalives_count",
                              "tcp_user_timeout",
                              "dbname",
                              "client_encoding",
                              nullptr};
    const char* values[] = {settings_->application_name.c_str(),
                            "1",
                            kKeepalivesIdle,
                            kKeepalivesInterval,
                            kKeepalivesCount,
                            kTcpUserTimeoutMs,
                            settings_->conninfo.c_str(),
                            "UTF8",  // Value strings are UTF-8 whatever the URL says
                            nullptr};
    PgConn conn(PQconnectStartParams(keywords, values, /*expand_dbname=*/1));
    if (!conn)
      throw DbError(ErrorKind::unavailable,
                    "cannot connect to " + settings_->display + ": out of memory");
    PQsetNoticeProcessor(conn.get(), ignore_notice, nullptr);
    PQsetErrorVerbosity(conn.get(), PQERRORS_VERBOSE);

    const auto deadline = std::chrono::steady_clock::now() + settings_->connect_timeout;
    PostgresPollingStatusType state =
        PQstatus(conn.get()) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
    while (state != PGRES_POLLING_OK) {
      if (state == PGRES_POLLING_FAILED) throw connect_error(PQerrorMessage(conn.get()));
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        throw connect_error("timeout expired after " +
                            std::to_string(settings_->connect_timeout.count()) + " s");
      pollfd pfd{PQsocket(conn.get()),
                 static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
      // poll() ignores a negative descriptor and would sit out the whole deadline.
      if (pfd.fd < 0) throw connect_error(PQerrorMessage(conn.get()));
      const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR)
        throw connect_error(std::string("poll failed: ") + std::strerror(errno));
      if (ready > 0) state = PQconnectPoll(conn.get());
    }
    // Query errors are read field by field; the plain text is only for lost connections.
    PQsetErrorVerbosity(conn.get(), PQERRORS_DEFAULT);
    return conn;
  }

  DbError connect_error(std::string_view libpq_text) const {
    std::string state;
    const std::string text = tidy_libpq_message(libpq_text, &state);
    ErrorKind kind = ErrorKind::unavailable;
    // 42501: the role lacks CONNECT on the database; the password alone could not fix it.
    if (state.starts_with("28") || state == "42501" ||
        text.find("no password supplied") != std::string::npos)
      kind = ErrorKind::authentication;
    else if (state == "3D000")
      kind = ErrorKind::configuration;  // retrying will not create the database
    std::string message = "cannot connect to " + settings_->display + ": " + text;
    if (!state.empty()) message += " (SQLSTATE " + state + ")";
    return DbError(kind, scrub(std::move(message), settings_->password), state);
  }

  // An error while preparing the session: a missing privilege or a bad schema name is
  // configuration (it will fail the same way every time); a dropped connection is not.
  DbError setup_error(PGconn* conn, const PGresult* r, std::string_view what) const {
    const bool lost = PQstatus(conn) != CONNECTION_OK;
    const std::string state = r ? field(r, PG_DIAG_SQLSTATE) : std::string();
    std::string text = r ? field(r, PG_DIAG_MESSAGE_PRIMARY) : std::string();
    if (text.empty()) text = tidy_libpq_message(PQerrorMessage(conn));
    ErrorKind kind = lost ? ErrorKind::unavailable : kind_for_sqlstate(state);
    if (!lost && (state.starts_with("42") || state.starts_with("3D") || state.starts_with("3F")))
      kind = ErrorKind::configuration;
    std::string message = "cannot " + std::string(what) + " on " + settings_->display + ": " + text;
    if (!state.empty()) message += " (SQLSTATE " + state + ")";
    return DbError(kind, scrub(std::move(message), settings_->password), state);
  }

  std::string quote_identifier(PGconn* conn, const std::string& name) const {
    char* quoted = PQescapeIdentifier(conn, name.data(), name.size());
    if (!quoted)
      throw DbError(ErrorKind::configuration, "invalid schema name in " + settings_->display +
                                                  ": " + tidy_libpq_message(PQerrorMessage(conn)));
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
  }

  void ensure_schema(PGconn* conn, const std::string& quoted) {
    // Looked up first because CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege
    // before existence: a role that may only use an existing schema would fail here.
    const char* name = settings_->schema.c_str();
    PgResult found(PQexecParams(conn, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, nullptr,
                                &name, nullptr, nullptr, 0));
    if (!result_ok(found.get())) throw setup_error(conn, found.get(), "look up the schema");
    if (PQntuples(found.get()) == 0) {
      PgResult created(PQexec(conn, ("CREATE SCHEMA IF NOT EXISTS " + quoted).c_str()));
      if (!result_ok(created.get())) {
        // Two replicas starting together: both saw no schema, the loser of the race gets
        // a duplicate (42P06) or the catalog's unique index (23505). Either way it exists.
        const std::string state = field(created.get(), PG_DIAG_SQLSTATE);
        if (state != "42P06" && state != "23505")
          throw setup_error(conn, created.get(), "create the schema");
      }
    }
    schema_ready_.store(true, std::memory_order_relaxed);
  }

  void setup_session(PGconn* conn, bool read_only) {
    // ISO dates, UTC and shortest-exact floats are what the result conversion expects,
    // whatever the server's or role's defaults are.
    std::string sql =
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; "
        "SET statement_timeout = " +
        std::to_string(settings_->statement_timeout.count()) + ";";
    if (!settings_->schema.empty()) {
      const std::string quoted = quote_identifier(conn, settings_->schema);
      if (!schema_ready_.load(std::memory_order_relaxed)) ensure_schema(conn, quoted);
      sql += " SET search_path TO " + quoted + ";";
    }
    if (read_only) sql += " SET default_transaction_read_only = on;";
    PgResult r(PQexec(conn, sql.c_str()));
    if (!result_ok(r.get())) throw setup_error(conn, r.get(), "set up the session");
  }

  std::shared_ptr<const Settings> settings_;
  std::atomic<bool> schema_ready_{false};  // created or found once; later connects skip it
};

}  // namespace

std::unique_ptr<Driver> make_postgres_driver(const DatabaseOptions& options) {
  return std::make_unique<PostgresDriver>(options);
}

}  // namespace mmx::db
