// The embedded default broker: a durable log in one SQLite file (WAL) shared by every
// process on the host. A publish batch is one transaction; consumers (sqlite_log_consumer)
// read it by partition on their own connections. Retention trims the oldest messages by
// age and by total size, whatever the consumers have read (like Kafka).
#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <unordered_map>

#include "backends.hpp"
#include "sqlite_log_consumer.hpp"
#include "sqlite_log_store.hpp"

namespace mmx::broker::backends {
namespace sqlite_log {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Kind = BrokerError::Kind;

constexpr std::int64_t trim_chunk = 5000;  // rows per retention transaction (bounds lock time)
constexpr int trim_rounds = 20;            // per publish call; a larger backlog goes on next time

class SqliteLogBackend final : public Backend {
 public:
  explicit SqliteLogBackend(Options options)
      : options_(std::move(options)),
        db_(open_log(options_)),  // eager, so a bad path or a foreign file fails at start
        notifier_(Notifier::for_file(options_.path)) {
    auto every = options_.retention > 0ms ? options_.retention / 10 : 60'000ms;
    retention_every_ = std::clamp<std::chrono::milliseconds>(every, 100ms, 60s);
  }

  std::string name() const override { return "sqlite"; }

  void publish(std::span<const OutgoingMessage> batch) override {
    if (batch.empty()) return;
    for (const auto& m : batch)
      if (m.topic.empty())
        throw BrokerError(Kind::rejected, "broker " + options_.label + ": empty topic name");
    std::lock_guard lock(mutex_);
    try {
      append(batch);
    } catch (const BrokerError&) {
      if (db_ && !db_->healthy()) db_.reset();
      throw;
    }
    notifier_->notify();
    auto now = Clock::now();
    if (over_size_ || now >= next_retention_) {
      next_retention_ = now + retention_every_;
      try {
        trim();
      } catch (const BrokerError&) {
        // The batch is in; trimming is tried again at the next check.
        if (db_ && !db_->healthy()) db_.reset();
      }
    }
  }

  std::unique_ptr<Consumer> subscribe(const std::string& group,
                                      const std::vector<std::string>& topics,
                                      const ConsumerOptions& options) override {
    return make_consumer(options_, notifier_, group, topics, options);
  }

  void ping() override {
    std::lock_guard lock(mutex_);
    try {
      db().prepare("SELECT value FROM broker_meta WHERE key = 'schema_version'").step();
    } catch (const BrokerError&) {
      if (db_ && !db_->healthy()) db_.reset();
      throw;
    }
  }

 private:
  sqlite_log::Db& db() {
    if (!db_) db_ = open_log(options_);
    return *db_;
  }

  Topic topic(Db& d, const std::string& name, std::unordered_map<std::string, Topic>& created) {
    if (auto it = topics_.find(name); it != topics_.end()) return it->second;
    if (auto it = created.find(name); it != created.end()) return it->second;
    auto t = ensure_topic(d, name, options_.partitions);
    created.emplace(name, t);
    return t;
  }

  // One transaction for the whole batch: that is what makes batching fast.
  void append(std::span<const OutgoingMessage> batch) {
    auto& d = db();
    std::unordered_map<std::string, Topic> created;  // cached only once committed
    std::map<std::pair<std::int64_t, int>, std::int64_t> heads;
    std::int64_t now = now_us(), bytes = 0, total = 0;
    Transaction tx(d, Transaction::Mode::write);
    const std::string* last_name = nullptr;
    Topic t;
    for (const auto& m : batch) {
      if (!last_name || *last_name != m.topic) {
        t = topic(d, m.topic, created);
        last_name = &m.topic;
      }
      int part = partition_of(m.key, t.partitions);
      auto [head, fresh] = heads.try_emplace({t.id, part}, 0);
      if (fresh) {
        auto s =
            d.prepare("SELECT next_offset FROM broker_partitions WHERE topic_id = ? AND part = ?");
        if (!s.bind(1, t.id).bind(2, std::int64_t{part}).step())
          throw BrokerError(Kind::unavailable, "broker " + options_.label + ": topic '" + m.topic +
                                                   "' lost its partition " + std::to_string(part));
        head->second = s.int64(0);
      }
      d.prepare(
           "INSERT INTO broker_messages(topic_id, part, off, key, payload, published_at) "
           "VALUES(?, ?, ?, ?, ?, ?)")
          .bind(1, t.id)
          .bind(2, std::int64_t{part})
          .bind(3, head->second++)
          .bind_blob(4, m.key)
          .bind_blob(5, m.payload)
          .bind(6, now)
          .run();
      bytes += static_cast<std::int64_t>(m.key.size() + m.payload.size());
    }
    for (const auto& [k, next] : heads)
      d.prepare("UPDATE broker_partitions SET next_offset = ? WHERE topic_id = ? AND part = ?")
          .bind(1, next)
          .bind(2, k.first)
          .bind(3, std::int64_t{k.second})
          .run();
    {
      auto s =
          d.prepare("UPDATE broker_meta SET value = value + ? WHERE key = 'bytes' RETURNING value");
      if (s.bind(1, bytes).step()) total = s.int64(0);
    }
    tx.commit();
    topics_.merge(created);
    over_size_ = options_.max_bytes > 0 && total > options_.max_bytes;
  }

  // Deletes from the oldest end what is older than `retention`, and, once the log is over
  // max_bytes, down to 90% of it (so a full log is not trimmed on every publish).
  void trim() {
    if (options_.retention <= 0ms && options_.max_bytes <= 0) return;
    auto& d = db();
    std::int64_t keep_bytes = -1;
    for (int round = 0; round < trim_rounds; ++round) {
      Transaction tx(d, Transaction::Mode::write);
      std::int64_t total = 0;
      {
        auto s = d.prepare("SELECT value FROM broker_meta WHERE key = 'bytes'");
        if (s.step()) total = s.int64(0);
      }
      if (round == 0 && options_.max_bytes > 0 && total > options_.max_bytes)
        keep_bytes = options_.max_bytes - options_.max_bytes / 10;
      std::int64_t excess = keep_bytes >= 0 ? total - keep_bytes : 0;
      std::int64_t cutoff = options_.retention > 0ms ? now_us() - options_.retention.count() * 1000
                                                     : std::numeric_limits<std::int64_t>::min();
      std::int64_t last = 0, removed = 0, n = 0;
      {
        auto s = d.prepare(
            "SELECT seq, published_at, length(key) + length(payload) FROM broker_messages "
            "ORDER BY seq LIMIT ?");
        s.bind(1, trim_chunk);
        while (s.step()) {
          if (s.int64(1) >= cutoff && removed >= excess) break;
          last = s.int64(0);
          removed += s.int64(2);
          ++n;
        }
      }
      if (n > 0) {
        d.prepare("DELETE FROM broker_messages WHERE seq <= ?").bind(1, last).run();
        d.prepare("UPDATE broker_meta SET value = value - ? WHERE key = 'bytes'")
            .bind(1, removed)
            .run();
      }
      tx.commit();
      if (n < trim_chunk) {
        over_size_ = false;
        return;
      }
    }
    next_retention_ = Clock::now();  // more to delete: carry on at the next publish
  }

  Options options_;
  std::mutex mutex_;  // publish and ping may come from different threads
  std::unique_ptr<Db> db_;
  std::shared_ptr<Notifier> notifier_;
  std::unordered_map<std::string, Topic> topics_;
  std::chrono::milliseconds retention_every_{};
  Clock::time_point next_retention_{};
  bool over_size_ = false;
};

}  // namespace
}  // namespace sqlite_log

std::unique_ptr<Backend> make_sqlite_log(const std::string& url, const std::string& data_dir) {
  return std::make_unique<sqlite_log::SqliteLogBackend>(sqlite_log::parse_options(url, data_dir));
}

}  // namespace mmx::broker::backends
