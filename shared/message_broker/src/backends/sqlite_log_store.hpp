#pragma once
// What the SQLite log's publisher and consumers share: the schema, topics, the partitioner,
// the clock, and a process-wide wake-up per file.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "sqlite_log_db.hpp"
#include "sqlite_log_options.hpp"

namespace mmx::broker::backends::sqlite_log {

struct Topic {
  std::int64_t id = 0;
  int partitions = 0;
};

// Opens a connection and creates the schema if the file is new. Throws BrokerError.
std::unique_ptr<Db> open_log(const Options& options);

// Inside a write transaction: the topic, created with `partitions` if new (a topic keeps the
// partition count it was created with, like Kafka).
Topic ensure_topic(Db& db, const std::string& name, int partitions);

// Stable across builds and platforms (FNV-1a), so every process maps a key alike.
int partition_of(std::string_view key, int partitions);

// Wall-clock microseconds: comparable between processes on the host (and kept across
// restarts, which a monotonic clock is not).
std::int64_t now_us();

// Wakes this process's consumers of one file when a publisher here commits, so they need
// not wait for their next look at the file. Other processes are noticed by polling.
class Notifier {
 public:
  // One per canonical path, shared by every backend and consumer of that file here.
  static std::shared_ptr<Notifier> for_file(const std::string& path);

  std::uint64_t generation() const;
  void notify();
  // True when notify() was called since generation() returned `seen`.
  bool wait(std::uint64_t seen, std::chrono::steady_clock::duration timeout);

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

}  // namespace mmx::broker::backends::sqlite_log
