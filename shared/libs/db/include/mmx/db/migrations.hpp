#pragma once
// Versioned SQL migrations per service: files named NNNN_description.sql, with an optional
// NNNN_description.<dialect>.sql (sqlite / postgresql) where the SQL differs, which then
// replaces the generic file for that dialect. Applied in order at start (and by
// `micromax migrate`), each in its own transaction, recorded in schema_migrations with a
// SHA-256 of the SQL: an applied migration whose file changed stops start-up.
#include <string>
#include <vector>

#include "mmx/db/driver.hpp"

namespace mmx::db {

struct MigrationFile {
  std::string name;  // file name, e.g. "0002_add_orders.postgresql.sql"
  std::string sql;
};

struct Migration {
  long version = 0;
  std::string name;  // without dialect and extension: "0002_add_orders"
  std::string sql;
  std::string checksum;  // hex SHA-256 of sql
};

struct MigrationReport {
  std::vector<std::string> applied;  // names, in order
  long version = 0;                  // the database's version afterwards
};

// The migrations for `dialect`, in version order. Throws DbError(configuration) on a bad
// file name, two files for one version and dialect, or a dialect file with no version.
std::vector<Migration> plan_migrations(const std::vector<MigrationFile>& files, Dialect dialect);

// Blocking; on its own connection. PostgreSQL: holds an advisory lock meanwhile, so
// replicas starting together apply each migration once. SQLite: each step re-reads the
// applied set inside BEGIN IMMEDIATE, which serialises processes the same way.
// Throws DbError(configuration) on checksum drift or a database newer than the files.
MigrationReport migrate(Driver& driver, const std::vector<MigrationFile>& files);

std::string sha256_hex(std::string_view data);

}  // namespace mmx::db
