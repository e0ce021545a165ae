#pragma once
// One member of a consumer group on Redis Streams (see redis_streams.cpp for the layout).
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mmx/broker/backend.hpp"
#include "mmx/redis/reconnect_gate.hpp"
#include "redis_connection.hpp"

namespace mmx::broker::backends {

std::string redis_stream_key(const std::string& topic);

class RedisConsumer final : public Consumer {
 public:
  RedisConsumer(const RedisConfig& config, const std::string& group,
                const std::vector<std::string>& topics, const ConsumerOptions& options);
  ~RedisConsumer() override;

  std::vector<Delivery> poll(std::size_t max, std::chrono::milliseconds wait) override;
  void ack(const Delivery& d) override;
  void release(const Delivery& d) override;

 private:
  using Clock = std::chrono::steady_clock;
  using EntryKey = std::pair<std::size_t, std::string>;  // (stream index, entry id)
  struct Released {
    std::size_t stream;
    std::string id;
    int attempt;
  };

  void connect(const char* start_id);
  bool ensure_connected();
  void receive(std::size_t max, Clock::time_point deadline, std::vector<Delivery>& out);
  void take_released(std::size_t max, std::vector<Delivery>& out);
  void claim_stuck(std::size_t max, std::vector<Delivery>& out);
  void refresh_held();
  void read_new(std::size_t max, std::chrono::milliseconds block, std::vector<Delivery>& out);
  // Adds a delivered entry ([id, [field, value...]]) to `out`, or to buffered_ once `out`
  // has `max`. Entries whose content was trimmed away meanwhile are acknowledged instead.
  void take(std::size_t stream, const redisReply& entry, int attempt, std::size_t max,
            std::vector<Delivery>& out);
  Reply run(Args args, std::string_view what);
  const std::string& key_of(const Delivery& d) const;

  RedisConfig config_;
  std::string group_;
  std::vector<std::string> topics_, streams_;
  ConsumerOptions options_;
  std::string name_;  // unique per instance: a restarted process is a new member
  std::unique_ptr<RedisConnection> conn_;
  redis::ReconnectGate gate_;
  std::deque<Delivery> buffered_;  // delivered to us beyond what a poll asked for
  std::vector<Released> released_;
  // Delivered to this member and not acked or released yet, with the time their idle
  // time was last reset: kept from looking stuck to other members while we hold them.
  std::map<EntryKey, Clock::time_point> held_;
  std::vector<std::string> claim_cursor_;  // XAUTOCLAIM position per stream
  Clock::time_point next_claim_{};
};

}  // namespace mmx::broker::backends
