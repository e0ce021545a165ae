#pragma once
// Database URLs: `sqlite:PATH` (relative paths are under the data dir) or
// `postgresql://user:password@host:port/dbname?options` (libpq's URI form; `postgres://`
// too). Parsing never echoes the password: errors and display names redact it.
#include <string>
#include <string_view>

#include "mmx/db/driver.hpp"

namespace mmx::db {

struct DatabaseUrl {
  Dialect dialect = Dialect::sqlite;
  std::string sqlite_path;  // sqlite: the file (":memory:" is refused: readers need a file)
  std::string conninfo;     // postgresql: the URI as given, for libpq
  std::string schema;       // postgresql: search_path for this service ("" = default)
  std::string redacted;     // the URL with any password replaced by "***"
};

// Throws DbError(configuration) with a message that names what is wrong, never the password.
DatabaseUrl parse_database_url(std::string_view url, std::string_view data_dir = {});

// "postgresql://u:secret@h/db" -> "postgresql://u:***@h/db"; anything else unchanged.
std::string redact_url(std::string_view url);

}  // namespace mmx::db
