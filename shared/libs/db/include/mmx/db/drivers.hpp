#pragma once
// The two shipped drivers. Database::open picks one from the URL's dialect.
#include <memory>

#include "mmx/db/driver.hpp"
#include "mmx/db/options.hpp"

namespace mmx::db {

// SQLite: WAL, busy timeout, foreign keys on, NOMUTEX connections (the pool guarantees
// one thread at a time); read-only connections for the reader pool.
std::unique_ptr<Driver> make_sqlite_driver(const DatabaseOptions& options);

// PostgreSQL through libpq: TimeZone UTC, statement_timeout from the options, search_path
// set to the URL's schema (created if missing), prepared statements cached per connection,
// SQLSTATE mapped to ErrorKind. Passwords never appear in messages.
std::unique_ptr<Driver> make_postgres_driver(const DatabaseOptions& options);

}  // namespace mmx::db
