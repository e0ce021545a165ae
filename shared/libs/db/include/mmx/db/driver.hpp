#pragma once
// The blocking driver interface. A Connection is used by one thread at a time (the pool
// hands it out). Async callers go through Database, which leases connections and offloads
// these calls to the worker pool; only try_execute_inline() is ever called on an io thread.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "mmx/db/result.hpp"
#include "mmx/db/rows.hpp"
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
  // Streams the rows of one statement to `consumer` and returns the rows affected.
  // Default: execute() and replay its Result (drivers that read whole results anyway).
  virtual std::int64_t execute_each(std::string_view sql, ParamSpan params, RowConsumer& consumer) {
    Params copy;
    copy.reserve(params.size());
    for (const Param& p : params) copy.push_back(value_of(p));
    Result r = execute(sql, copy);
    replay(r, consumer);
    return r.affected;
  }
  // Called on an io thread: runs the statement right here if the driver knows it to be
  // quick and unable to wait for a lock, and returns true (rows streamed to `consumer`,
  // `done` filled), or throws DbError like execute. False means "offload it": nothing
  // was done and nothing changed (the consumer may have seen a start() and rows it must
  // drop when the offloaded run starts again). SQLite answers from measured run times
  // (ADR 0007); network drivers never run inline.
  struct InlineRun {
    std::int64_t affected = 0;
    std::chrono::nanoseconds elapsed{};  // for the latency metric, measured by the driver
  };
  virtual bool try_execute_inline(std::string_view /*sql*/, ParamSpan /*params*/,
                                  RowConsumer& /*consumer*/, InlineRun& /*done*/) {
    return false;
  }
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
