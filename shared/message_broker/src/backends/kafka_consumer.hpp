#pragma once
// One member of a Kafka consumer group, on its own librdkafka handle (own connections).
// Offsets are stored on ack and committed at the start of the next poll, on rebalance and
// on close; release() seeks the partition back.
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka_client.hpp"
#include "mmx/broker/backend.hpp"

namespace mmx::broker::backends::kafka {

class KafkaConsumer final : public Consumer {
 public:
  // Joins `group` and subscribes to `topics` (which must exist). Throws BrokerError.
  KafkaConsumer(const KafkaSettings& settings, const std::string& group,
                const std::vector<std::string>& topics, const ConsumerOptions& options);
  ~KafkaConsumer() override;
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  std::vector<Delivery> poll(std::size_t max, std::chrono::milliseconds wait) override;
  void ack(const Delivery& d) override;
  void release(const Delivery& d) override;

 private:
  // What this member knows about one assigned partition.
  struct Partition {
    std::int64_t stored = -1;  // offset last stored for commit (next to consume)
    // Lowest offset released and not yet delivered again: later acks must not commit past
    // it, or the released delivery would be lost if this member died first.
    std::int64_t floor = -1;
  };
  using Key = std::pair<std::string, std::int32_t>;

  static void rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque);
  static void error_cb(rd_kafka_t*, int err, const char* reason, void* opaque);
  static void commit_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* offsets, void* opaque);
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  Delivery to_delivery(const rd_kafka_message_t& m);
  void store(const Key& key, Partition& p, std::int64_t offset);
  // Commits the stored offsets and waits for the answer, at most settings_.timeout.
  void commit_and_wait(const char* why);
  void close();

  KafkaSettings settings_;
  std::string group_;
  rd_kafka_t* rk_ = nullptr;
  Health health_;
  std::map<Key, Partition> partitions_;
  int released_ = 0;    // partitions with a floor, so that poll skips the lookup otherwise
  bool dirty_ = false;  // offsets stored since the last commit request
  bool closing_ = false;
  std::optional<BrokerError> failed_;  // for the next poll, after the deliveries before it
};

}  // namespace mmx::broker::backends::kafka
