#pragma once
#include <chrono>
#include <string>

#include "mmx/db/url.hpp"

namespace mmx::db {

struct DatabaseOptions {
  std::string name;  // the service it belongs to: metric label and log context
  DatabaseUrl url;
  std::size_t pool_size = 8;             // PostgreSQL connections / SQLite readers
  std::chrono::milliseconds pool_wait{5000};          // acquire gives up (timeout) after this
  std::chrono::milliseconds statement_timeout{30000};  // PostgreSQL statement_timeout
  std::chrono::milliseconds busy_timeout{5000};       // SQLite busy handler
  // SQLite statements whose recent runs all took less than this run inline on the io
  // thread instead of going through the worker pool (ADR 0007); zero turns that off.
  std::chrono::microseconds sqlite_inline_budget{100};
  std::chrono::milliseconds connect_wait{10000};      // how long start-up waits for a server
  int max_retries = 3;                   // serialization failures / deadlocks per transaction
};

}  // namespace mmx::db
