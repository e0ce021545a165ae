#include "sqlite_log_store.hpp"

#include <filesystem>
#include <map>
#include <system_error>

namespace mmx::broker::backends::sqlite_log {
namespace {

using Kind = BrokerError::Kind;

constexpr const char* schema_version = "1";

// The log is one table in global publish order (seq: what retention trims from the front);
// consumers read it by (topic, partition, offset). Offsets are dense per partition, so lag
// is a subtraction. Consumer-group state (committed and delivered offsets, the owner of
// each partition, member heartbeats) lives in the same file so every process sees it.
constexpr const char* schema[] = {
    "CREATE TABLE IF NOT EXISTS broker_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS broker_topics(topic_id INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL UNIQUE, partitions INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS broker_partitions(topic_id INTEGER NOT NULL, "
    "part INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY(topic_id, part)) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS broker_messages(seq INTEGER PRIMARY KEY, "
    "topic_id INTEGER NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL, "
    "key BLOB NOT NULL, payload BLOB NOT NULL, published_at INTEGER NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS broker_messages_by_offset "
    "ON broker_messages(topic_id, part, off)",
    "CREATE TABLE IF NOT EXISTS broker_groups(group_name TEXT PRIMARY KEY, "
    "generation INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS broker_members(group_name TEXT NOT NULL, "
    "topic_id INTEGER NOT NULL, member_id TEXT NOT NULL, joined_at INTEGER NOT NULL, "
    "heartbeat_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, "
    "PRIMARY KEY(group_name, topic_id, member_id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS broker_offsets(group_name TEXT NOT NULL, "
    "topic_id INTEGER NOT NULL, part INTEGER NOT NULL, committed INTEGER NOT NULL, "
    "delivered INTEGER NOT NULL, owner TEXT, PRIMARY KEY(group_name, topic_id, part)) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS broker_redeliveries(group_name TEXT NOT NULL, "
    "topic_id INTEGER NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL, "
    "deliveries INTEGER NOT NULL, PRIMARY KEY(group_name, topic_id, part, off)) WITHOUT ROWID",
    "INSERT OR IGNORE INTO broker_meta(key, value) VALUES('bytes', 0)",
};

void create_schema(Db& db) {
  // Most opens find the schema in place: check with a read first so that starting many
  // consumers does not make each of them take the write lock.
  {
    auto has = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'broker_meta'");
    if (has.step()) {
      auto s = db.prepare("SELECT value FROM broker_meta WHERE key = 'schema_version'");
      std::string version = s.step() ? s.text(0) : "";
      if (version == schema_version) return;
      throw BrokerError(Kind::configuration, "broker " + db.label() +
                                                 ": the log has schema version '" + version +
                                                 "', this build reads version " + schema_version);
    }
  }
  Transaction tx(db, Transaction::Mode::write);
  for (const char* sql : schema) db.exec(sql);
  db.prepare("INSERT OR IGNORE INTO broker_meta(key, value) VALUES('schema_version', ?)")
      .bind(1, std::string_view(schema_version))
      .run();
  tx.commit();
}

}  // namespace

std::unique_ptr<Db> open_log(const Options& options) {
  auto dir = std::filesystem::path(options.path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw BrokerError(Kind::configuration, "broker " + options.label +
                                                 ": cannot create the directory " + dir.string() +
                                                 ": " + ec.message());
  }
  if (std::filesystem::is_directory(options.path, ec))
    throw BrokerError(Kind::configuration,
                      "broker " + options.label + ": the path is a directory, not a file");
  auto db = std::make_unique<Db>(options.path, options.label, options.synchronous_full,
                                 options.busy_timeout);
  create_schema(*db);
  return db;
}

Topic ensure_topic(Db& db, const std::string& name, int partitions) {
  {
    auto s = db.prepare("SELECT topic_id, partitions FROM broker_topics WHERE name = ?");
    if (s.bind(1, name).step()) return {s.int64(0), static_cast<int>(s.int64(1))};
  }
  std::int64_t id = 0;
  {
    auto s =
        db.prepare("INSERT INTO broker_topics(name, partitions) VALUES(?, ?) RETURNING topic_id");
    s.bind(1, name).bind(2, std::int64_t{partitions}).step();
    id = s.int64(0);
  }
  for (int p = 0; p < partitions; ++p)
    db.prepare("INSERT INTO broker_partitions(topic_id, part, next_offset) VALUES(?, ?, 0)")
        .bind(1, id)
        .bind(2, std::int64_t{p})
        .run();
  return {id, partitions};
}

int partition_of(std::string_view key, int partitions) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int>(h % static_cast<std::uint64_t>(partitions));
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<Notifier> Notifier::for_file(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<Notifier>> by_path;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  std::string key = ec ? path : canonical.string();
  std::lock_guard lock(mutex);
  for (auto it = by_path.begin(); it != by_path.end();)  // forget files nobody uses now
    it = it->second.expired() ? by_path.erase(it) : std::next(it);
  auto& slot = by_path[key];
  auto n = slot.lock();
  if (!n) {
    n = std::make_shared<Notifier>();
    slot = n;
  }
  return n;
}

std::uint64_t Notifier::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

void Notifier::notify() {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
  }
  cv_.notify_all();
}

bool Notifier::wait(std::uint64_t seen, std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return generation_ != seen; });
}

}  // namespace mmx::broker::backends::sqlite_log
