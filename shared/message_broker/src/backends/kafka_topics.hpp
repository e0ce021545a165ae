#pragma once
// Creates topics before first use with the configured partition count: a topic the broker
// auto-creates gets num.partitions (usually 1), and one partition means the members of a
// group cannot share the load.
#include <librdkafka/rdkafka.h>

#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "kafka_client.hpp"

namespace mmx::broker::backends::kafka {

class TopicRegistry {
 public:
  explicit TopicRegistry(const KafkaSettings& settings) : settings_(settings) {}

  // Returns once every topic exists and has partitions in the cluster metadata; remembers
  // them so that the next call costs a set lookup. `rk` is any client handle (the
  // producer's); `check_reachable` runs before the first request to the cluster and throws
  // if it cannot be reached (metadata requests would wait out their whole timeout).
  // Throws BrokerError.
  void ensure(rd_kafka_t* rk, const std::vector<std::string>& topics,
              const std::function<void()>& check_reachable);

 private:
  enum class Admin { unknown, supported, unsupported };
  Admin admin_support(rd_kafka_t* rk);
  void create(rd_kafka_t* rk, const std::vector<std::string>& topics);
  void await_metadata(rd_kafka_t* rk, const std::string& topic);

  const KafkaSettings& settings_;
  std::mutex mu_;
  std::set<std::string, std::less<>> known_;
  Admin admin_ = Admin::unknown;
};

}  // namespace mmx::broker::backends::kafka
