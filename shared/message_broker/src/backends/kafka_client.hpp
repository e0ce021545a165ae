#pragma once
// What the Kafka producer, consumer and topic registry share: the parsed kafka:// URL, the
// librdkafka configuration common to every handle, error classification and a bounded
// reachability probe.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "mmx/broker/backend.hpp"

namespace mmx::broker::backends::kafka {

struct KafkaSettings {
  std::string redacted_url;  // for messages
  std::string bootstrap;     // host:port,host:port
  int partitions = 6;        // for topics this backend creates
  int replication = -1;      // -1: the cluster's default.replication.factor
  std::string client_id = "micromax";
  int linger_ms = 5;
  // Bound on publish (message.timeout.ms), ping, topic creation and commits.
  std::chrono::milliseconds timeout{5000};
  int session_timeout_ms = 0;  // 0: from ConsumerOptions::stuck_after
};

// kafka://host:port[,host:port...][?partitions=6&replication=-1&client_id=..&linger_ms=5
// &timeout=5s&session_timeout_ms=..]. Throws BrokerError(configuration).
KafkaSettings parse_kafka_url(const std::string& url);

// "kafka broker <url>: <what>", the form of every error this backend throws.
BrokerError kafka_error(const KafkaSettings& s, BrokerError::Kind kind, std::string_view what);
// unavailable for transient errors (librdkafka or the caller may retry), else the kind that
// tells the caller retrying is pointless.
BrokerError::Kind kind_of(rd_kafka_resp_err_t err);

// Connection health as librdkafka reports it through the error callback. librdkafka says
// "all brokers down" once per transition, so the flag stays set until something proves
// the cluster answers again (mark_up).
class Health {
 public:
  void on_error(rd_kafka_resp_err_t err, const char* reason);
  bool all_down() const { return all_down_.load(std::memory_order_acquire); }
  void mark_up() { all_down_.store(false, std::memory_order_release); }
  std::string reason() const;

 private:
  std::atomic<bool> all_down_{false};
  mutable std::mutex mu_;
  std::string reason_;  // the last transport error, which names the broker and the cause
};

// Owning pointers for librdkafka objects.
template <auto Destroy>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Destroy(p);
  }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, Deleter<rd_kafka_conf_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, Deleter<rd_kafka_queue_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, Deleter<rd_kafka_event_destroy>>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, Deleter<rd_kafka_topic_destroy>>;
using PartitionsPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                      Deleter<rd_kafka_topic_partition_list_destroy>>;
using MetadataPtr =
    std::unique_ptr<const struct rd_kafka_metadata, Deleter<rd_kafka_metadata_destroy>>;

// Bootstrap servers, client id, reconnect backoff and logging (librdkafka's warnings and
// errors go to mmx::log as service "broker"; the rest is dropped).
ConfPtr base_conf(const KafkaSettings& s);
void set(rd_kafka_conf_t* conf, const KafkaSettings& s, const char* key, const std::string& value);

// Asks the cluster for metadata until it answers or `timeout` passes; returns "" when it
// answered, else why not. `serve` runs librdkafka's callbacks between attempts so that a
// refused connection (error callback: all brokers down) fails the probe at once instead of
// after the whole timeout.
std::string probe(rd_kafka_t* rk, Health& health, std::chrono::milliseconds timeout,
                  const std::function<void()>& serve);

}  // namespace mmx::broker::backends::kafka
