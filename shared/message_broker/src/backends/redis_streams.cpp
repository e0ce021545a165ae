// redis:// — Redis Streams over hiredis. Layout:
//   mmx:stream:<topic>   a stream per topic; entries {key, payload, ts (publish ms)},
//                        trimmed with XADD MAXLEN ~ maxlen
//   consumer group       a Redis consumer group of that name on each of its topics' streams,
//                        created at "$" when first subscribed
//   member               a Redis consumer named host-pid-n; its pending entries (PEL) are
//                        what it was given and has not acknowledged
// Publishing pipelines one XADD per message; consuming is XREADGROUP with a blocking wait,
// XACK to acknowledge, and XAUTOCLAIM to take over what a dead member left pending.
#include <chrono>
#include <mutex>
#include <optional>

#include "backends.hpp"
#include "mmx/redis/reconnect_gate.hpp"
#include "redis_connection.hpp"
#include "redis_consumer.hpp"

namespace mmx::broker::backends {
namespace {

using Kind = BrokerError::Kind;

class RedisStreamsBackend final : public Backend {
 public:
  explicit RedisStreamsBackend(RedisConfig config)
      : config_(std::move(config)), maxlen_(std::to_string(config_.maxlen)) {}

  std::string name() const override { return "redis"; }

  void publish(std::span<const OutgoingMessage> batch) override {
    if (batch.empty()) return;
    for (const auto& m : batch)
      if (m.topic.empty()) throw error(Kind::rejected, "a message has an empty topic");
    std::lock_guard lock(mu_);
    with_connection([&] { publish_on(batch); });
  }

  std::unique_ptr<Consumer> subscribe(const std::string& group, const std::vector<std::string>& topics,
                                      const ConsumerOptions& options) override {
    if (group.empty()) throw error(Kind::configuration, "empty group name");
    if (topics.empty()) throw error(Kind::configuration, "subscribe needs at least one topic");
    for (const auto& t : topics)
      if (t.empty()) throw error(Kind::configuration, "empty topic");
    return std::make_unique<RedisConsumer>(config_, group, topics, options);
  }

  void ping() override {
    std::lock_guard lock(mu_);
    with_connection([&] { conn_->checked({"PING"}, "PING"); });
  }

 private:
  BrokerError error(Kind kind, const std::string& what) const {
    return BrokerError(kind, "Redis at " + config_.redacted_url + ": " + what);
  }

  // Runs `f` on a live connection. A connection that died since the last call (server
  // restart) gets one immediate retry on a new one; duplicates that may cause are within
  // at-least-once (consumers deduplicate).
  template <class F>
  void with_connection(F&& f) {
    for (int attempt = 0;; ++attempt) {
      bool fresh = ensure_connected();
      try {
        f();
        return;
      } catch (const BrokerError& e) {
        if (e.kind() != Kind::unavailable || !conn_->broken()) throw;
        conn_.reset();
        if (fresh || attempt > 0) throw;
      }
    }
  }

  bool ensure_connected() {
    if (conn_ && !conn_->broken()) return false;
    conn_.reset();
    gate_.wait();
    try {
      conn_ = std::make_unique<RedisConnection>(config_);
      gate_.succeeded();
      return true;
    } catch (const BrokerError&) {
      gate_.failed();
      throw;
    }
  }

  void publish_on(std::span<const OutgoingMessage> batch) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    const std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    std::vector<std::string> keys;
    keys.reserve(batch.size());
    for (const auto& m : batch) {
      keys.push_back(redis_stream_key(m.topic));
      Args xadd{"XADD", keys.back()};
      // "~": trim whole macro nodes only, which is what keeps XADD O(1).
      if (config_.maxlen > 0) xadd.add("MAXLEN").add("~").add(maxlen_);
      xadd.add("*").add("key").add(m.key).add("payload").add(m.payload).add("ts").add(ts);
      conn_->append(xadd);
    }
    // Every reply is read even after an error reply, so the connection stays in step.
    std::optional<BrokerError> refused;
    std::size_t refused_count = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Reply r = conn_->read("XADD to '" + keys[i] + "'");
      if (is_error(r.get()) && refused_count++ == 0)
        refused = conn_->error_for(*r, "XADD to '" + keys[i] + "'", Kind::rejected);
    }
    if (refused) {
      if (refused_count > 1)
        throw BrokerError(refused->kind(), std::string(refused->what()) + " (and " +
                                               std::to_string(refused_count - 1) + " more)");
      throw *refused;
    }
  }

  RedisConfig config_;
  const std::string maxlen_;
  std::mutex mu_;  // publish() and ping() may come from different threads
  std::unique_ptr<RedisConnection> conn_;
  redis::ReconnectGate gate_;
};

}  // namespace

std::unique_ptr<Backend> make_redis_streams(const std::string& url) {
  return std::make_unique<RedisStreamsBackend>(parse_redis_url(url));
}

}  // namespace mmx::broker::backends
