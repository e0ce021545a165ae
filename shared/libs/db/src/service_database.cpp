#include "mmx/db/service_database.hpp"

#include <algorithm>
#include <cctype>

#include "mmx/db/errors.hpp"
#include "mmx/log/log.hpp"

namespace mmx::db {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

config::Setting setting(std::string name, config::Kind kind, std::string def, std::string help,
                        std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX) {
  return config::make_setting(std::move(name), kind, std::move(def), std::move(help), "database", min, max);
}

}  // namespace

std::string service_url_setting(const std::string& service) {
  return "MMX_" + upper(service) + "_DATABASE_URL";
}

void declare_database_settings(config::SettingRegistry& r) {
  using config::Kind;
  auto url = setting("MMX_DATABASE_URL", Kind::string, "",
                     "Database for every service without its own MMX_<SERVICE>_DATABASE_URL: "
                     "postgresql://user:password@host:port/db (each service gets its own schema) "
                     "or sqlite:DIR (a file per service). Empty: sqlite:<data dir>/<service>.db.");
  url.secret = true;
  r.add(url);
  r.add(setting("MMX_DB_POOL_SIZE", Kind::integer, "8",
                "Connections per service database (PostgreSQL) or readers (SQLite).", 1, 1000));
  r.add(setting("MMX_DB_POOL_WAIT", Kind::duration, "5s",
                "How long a request waits for a free connection before failing with 503.", 1));
  r.add(setting("MMX_DB_STATEMENT_TIMEOUT", Kind::duration, "30s",
                "PostgreSQL statement_timeout for every connection.", 1));
  r.add(setting("MMX_DB_BUSY_TIMEOUT", Kind::duration, "5s",
                "SQLite: how long a writer waits for another process's write lock.", 1));
  r.add(setting("MMX_DB_SQLITE_INLINE_US", Kind::integer, "100",
                "SQLite: statements measured under this many microseconds run on the io thread "
                "instead of the worker pool (a 20 us round trip saved); 0 = always offload.",
                0, 100000));
  r.add(setting("MMX_DB_CONNECT_WAIT", Kind::duration, "10s",
                "How long start-up waits for a database server that is not reachable yet.", 0));
  r.add(setting("MMX_DB_MAX_RETRIES", Kind::integer, "3",
                "Times a transaction is re-run after a serialization failure or deadlock.", 0, 100));
  r.add(setting("MMX_DB_MIGRATE", Kind::boolean, "true",
                "Apply pending migrations at start (micromax migrate always does).", INT64_MIN,
                INT64_MAX));
}

void declare_service_database(config::SettingRegistry& r, const std::string& service) {
  auto s = setting(service_url_setting(service), config::Kind::string, "",
                   "Database of the " + service + " service (sqlite:PATH or postgresql://...); "
                   "overrides MMX_DATABASE_URL.");
  s.group = service;
  s.secret = true;
  r.add(s);
}

ResolvedUrl resolve_service_url(const config::Config& cfg, const std::string& service,
                                const std::string& data_dir) {
  ResolvedUrl out;
  try {
    const std::string own = service_url_setting(service);
    if (cfg.is_set(own)) {
      out.setting = own;
      out.url = parse_database_url(cfg.string(own), data_dir);
    } else if (cfg.is_set("MMX_DATABASE_URL")) {
      out.setting = "MMX_DATABASE_URL";
      out.url = parse_database_url(cfg.string("MMX_DATABASE_URL"), data_dir);
      if (out.url.dialect == Dialect::postgresql) {
        if (out.url.schema.empty()) out.url.schema = service;
      } else {
        // A shared SQLite URL names a directory: one file per service, never one shared file
        // (each service owns its database, and SQLite has one writer per file).
        out.url.sqlite_path += "/" + service + ".db";
      }
    } else {
      out.url = parse_database_url("sqlite:" + service + ".db", data_dir);
    }
  } catch (const DbError& e) {
    throw std::runtime_error((out.setting.empty() ? std::string("database") : out.setting) + ": " + e.what());
  }
  return out;
}

DatabaseOptions service_database_options(const config::Config& cfg, const std::string& service,
                                         const std::string& data_dir) {
  DatabaseOptions o;
  o.name = service;
  o.url = resolve_service_url(cfg, service, data_dir).url;
  o.pool_size = static_cast<std::size_t>(cfg.integer("MMX_DB_POOL_SIZE"));
  o.pool_wait = cfg.duration("MMX_DB_POOL_WAIT");
  o.statement_timeout = cfg.duration("MMX_DB_STATEMENT_TIMEOUT");
  o.busy_timeout = cfg.duration("MMX_DB_BUSY_TIMEOUT");
  o.sqlite_inline_budget = std::chrono::microseconds(cfg.integer("MMX_DB_SQLITE_INLINE_US"));
  o.connect_wait = cfg.duration("MMX_DB_CONNECT_WAIT");
  o.max_retries = static_cast<int>(cfg.integer("MMX_DB_MAX_RETRIES"));
  return o;
}

std::shared_ptr<Database> open_service_database(module::Context& ctx, const std::string& service,
                                                const std::vector<MigrationFile>& migrations) {
  auto resolved = resolve_service_url(ctx.config, service, ctx.data_dir);
  const std::string where = resolved.setting.empty()
                                ? "database of " + service
                                : resolved.setting;
  auto options = service_database_options(ctx.config, service, ctx.data_dir);
  auto db = Database::open(options, ctx.workers, &ctx.metrics);
  try {
    db->connect();
    if (ctx.migrate_only || ctx.config.boolean("MMX_DB_MIGRATE")) {
      auto report = migrate(db->driver(), migrations);
      std::string applied;
      for (const auto& n : report.applied) applied += (applied.empty() ? "" : ",") + n;
      log::info("db", report.applied.empty() ? "database schema up to date" : "migrations applied",
                {{"db", service},
                 {"url", db->driver().display_name()},
                 {"version", static_cast<std::int64_t>(report.version)},
                 {"applied", applied}});
    }
  } catch (const DbError& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  std::weak_ptr<Database> weak = db;
  ctx.health.add("database:" + service, [weak]() -> boost::asio::awaitable<health::CheckResult> {
    auto self = weak.lock();
    if (!self) co_return health::CheckResult{false, "closed"};
    try {
      bool ok = co_await self->ping();
      co_return health::CheckResult{ok, ok ? "" : "no answer"};
    } catch (const std::exception& e) {
      co_return health::CheckResult{false, e.what()};
    }
  });
  return db;
}

}  // namespace mmx::db
