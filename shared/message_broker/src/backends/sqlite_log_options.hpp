#pragma once
// The SQLite log's URL: sqlite:PATH[?partitions=8&retention=7d&max_bytes=1GiB
// &synchronous=normal&busy_timeout=5s].
#include <chrono>
#include <cstdint>
#include <string>

namespace mmx::broker::backends::sqlite_log {

struct Options {
  std::string label;   // "sqlite:" + path as resolved, for messages
  std::string path;    // the file, absolute or relative to the working directory
  int partitions = 8;  // for topics this process creates
  std::chrono::milliseconds retention{7 * 24 * 3600'000LL};  // 0 = keep forever
  std::int64_t max_bytes = std::int64_t{1} << 30;            // 0 = no size limit
  bool synchronous_full = false;
  std::chrono::milliseconds busy_timeout{5000};
};

// Throws BrokerError(configuration) naming the offending option. A relative PATH is taken
// under data_dir (when given).
Options parse_options(const std::string& url, const std::string& data_dir);

}  // namespace mmx::broker::backends::sqlite_log
