#include "mmx/db/migrations.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "mmx/db/errors.hpp"
#include "mmx/dto/time.hpp"

namespace mmx::db {
namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at TEXT NOT NULL,"
    " duration_ms BIGINT NOT NULL)";

[[noreturn]] void config_error(const std::string& msg) {
  throw DbError(ErrorKind::configuration, msg);
}

struct Applied {
  std::string name, checksum;
};

std::map<long, Applied> read_applied(Connection& c) {
  std::map<long, Applied> out;
  auto r = c.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY version", {});
  for (auto& row : r.rows)
    out[static_cast<long>(std::get<std::int64_t>(row[0]))] = {std::get<std::string>(row[1]),
                                                              std::get<std::string>(row[2])};
  return out;
}

// Every applied migration must still be the file it was, and none may be unknown.
void verify(const std::map<long, Applied>& applied, const std::vector<Migration>& plan) {
  for (const auto& [version, rec] : applied) {
    auto it = std::find_if(plan.begin(), plan.end(), [&](const Migration& m) { return m.version == version; });
    if (it == plan.end())
      config_error("the database has migration " + rec.name +
                   " applied, which this build does not have: it was migrated by a newer "
                   "release; run that release or restore the database");
    if (it->checksum != rec.checksum)
      config_error("migration " + rec.name + " was changed after it was applied (recorded "
                   "checksum " + rec.checksum.substr(0, 12) + "…, file now " +
                   it->checksum.substr(0, 12) + "…): restore the file and put the change in "
                   "a new migration");
  }
}

// Applies one migration inside an open transaction and records it.
void apply(Connection& c, const Migration& m) {
  auto t0 = std::chrono::steady_clock::now();
  try {
    c.execute_script(m.sql);
  } catch (const DbError& e) {
    throw DbError(e.kind(), "migration " + m.name + " failed: " + e.what(), e.sqlstate());
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  c.execute("INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms) "
            "VALUES ($1, $2, $3, $4, $5)",
            {Value{std::int64_t{m.version}}, Value{m.name}, Value{m.checksum},
             Value{dto::format_date_time(std::chrono::system_clock::now())},
             Value{std::int64_t{ms.count()}}});
}

void rollback_quietly(Connection& c) {
  try {
    c.execute_script("ROLLBACK");
  } catch (...) {
  }
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::vector<Migration> plan_migrations(const std::vector<MigrationFile>& files, Dialect dialect) {
  struct Slot {
    const MigrationFile* generic = nullptr;
    const MigrationFile* specific = nullptr;
    std::string name;
  };
  std::map<long, Slot> slots;
  for (const auto& f : files) {
    std::string_view n = f.name;
    if (!n.ends_with(".sql")) config_error("migration file " + f.name + " does not end in .sql");
    n.remove_suffix(4);
    std::string_view d;
    if (auto dot = n.rfind('.'); dot != std::string_view::npos) {
      d = n.substr(dot + 1);
      n = n.substr(0, dot);
      if (d != "sqlite" && d != "postgresql")
        config_error("migration file " + f.name + ": unknown dialect '" + std::string(d) +
                     "' (sqlite or postgresql)");
    }
    auto underscore = n.find('_');
    std::string_view digits = n.substr(0, underscore);
    if (digits.empty() || underscore == std::string_view::npos ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        digits.size() > 9)
      config_error("migration file " + f.name + " must be named NNNN_description[.dialect].sql");
    long version = std::stol(std::string(digits));
    if (version <= 0) config_error("migration file " + f.name + ": versions start at 1");
    Slot& s = slots[version];
    if (!s.name.empty() && s.name != n)
      config_error("migrations " + s.name + " and " + std::string(n) + " share version " +
                   std::to_string(version));
    s.name = std::string(n);
    const MigrationFile*& target = d.empty() ? s.generic : s.specific;
    if (!d.empty() && d != to_string(dialect)) continue;
    if (target) config_error("two migration files for " + s.name + " (" + f.name + ")");
    target = &f;
  }
  std::vector<Migration> plan;
  for (auto& [version, s] : slots) {
    const MigrationFile* f = s.specific ? s.specific : s.generic;
    if (!f) {
      // Only another dialect's file: this dialect needs its own or a generic one.
      config_error("migration " + s.name + " has no file for " + to_string(dialect) +
                   " (add " + s.name + ".sql or " + s.name + "." + to_string(dialect) + ".sql)");
    }
    plan.push_back({version, s.name, f->sql, sha256_hex(f->sql)});
  }
  return plan;
}

MigrationReport migrate(Driver& driver, const std::vector<MigrationFile>& files) {
  auto plan = plan_migrations(files, driver.dialect());
  auto conn = driver.connect(false);
  Connection& c = *conn;
  MigrationReport report;

  if (driver.dialect() == Dialect::postgresql) {
    // One lock per database (advisory locks are database-scoped) and schema.
    c.execute("SELECT pg_advisory_lock(hashtext('micromax:migrations:' || current_schema()))", {});
    struct Unlock {
      Connection& c;
      ~Unlock() {
        try {
          c.execute("SELECT pg_advisory_unlock_all()", {});
        } catch (...) {
        }
      }
    } unlock{c};
    c.execute_script(kCreateTable);
    auto applied = read_applied(c);
    verify(applied, plan);
    for (const auto& m : plan) {
      if (applied.count(m.version)) continue;
      c.execute_script("BEGIN");
      try {
        apply(c, m);
        c.execute_script("COMMIT");
      } catch (...) {
        rollback_quietly(c);
        throw;
      }
      report.applied.push_back(m.name);
    }
  } else {
    for (;;) {
      c.execute_script("BEGIN IMMEDIATE");
      try {
        c.execute_script(kCreateTable);
        auto applied = read_applied(c);
        verify(applied, plan);
        auto next = std::find_if(plan.begin(), plan.end(),
                                 [&](const Migration& m) { return !applied.count(m.version); });
        if (next == plan.end()) {
          c.execute_script("COMMIT");
          break;
        }
        apply(c, *next);
        c.execute_script("COMMIT");
        report.applied.push_back(next->name);
      } catch (...) {
        rollback_quietly(c);
        throw;
      }
    }
  }
  report.version = plan.empty() ? 0 : plan.back().version;
  return report;
}

}  // namespace mmx::db
