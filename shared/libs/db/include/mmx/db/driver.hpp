#pragma once
// The blocking driver interface. A Connection is used by one thread at a time (the pool
// hands it out), always from a worker thread, never an io thread. Async callers go
// through Database, which leases connections and offloads these calls.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "mmx/db/result.hpp"
#include "mmx/db/value.hpp"

namespace mmx::db {

enum class Dialect { sqlite, postgresql };
const char* to_string(Dialect d);

class Connection {
 public:
  virtual ~Connection() = default;
  // One statement with $1..$n parameters. Throws DbError.
  virtual Result execute(std::string_view sql, const Params& params) = 0;
  // Several statements, no parameters (migrations). Throws DbError.
  virtual void execute_script(std::string_view sql) = 0;
  // False once the connection is known to be unusable (lost, or a failed reset); the pool
  // then discards it instead of handing it out again.
  virtual bool healthy() const = 0;
};

// How to open connections; one per database, shared by its pool.
class Driver {
 public:
  virtual ~Driver() = default;
  virtual Dialect dialect() const = 0;
  // Blocking; throws DbError (unavailable / authentication / configuration).
  virtual std::unique_ptr<Connection> connect(bool read_only) = 0;
  // SQL to start a transaction (SQLite wants BEGIN IMMEDIATE so a writer never has to
  // upgrade a read lock, which is where SQLite's SQLITE_BUSY deadlocks come from).
  virtual std::string begin_sql() const = 0;
  // Where connections go, with no password (for logs and errors).
  virtual std::string display_name() const = 0;
  // SQLite serialises writers: reads use a separate pool of read-only connections.
  virtual bool separate_readers() const = 0;
};

}  // namespace mmx::db
