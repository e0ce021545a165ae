// librdkafka's mock cluster: three brokers on loopback sockets inside this process, which
// the Kafka backend reaches like a real cluster. Created on first use, kept until exit.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

#include "backend_urls.hpp"

namespace mmx::test {

std::string kafka_mock_url() {
  static const std::string url = []() -> std::string {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // The handle only hosts the cluster; its own notices ("no bootstrap.servers") are noise.
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) return {};
    rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, 3);
    if (!cluster) return {};
    // The mock delays a group's first assignment by 3 s and evicts a member whose session
    // (from its JoinGroup) runs out meanwhile: 4.5 s keeps members through the first join
    // while keeping later rebalances (session - 1 s) short. Handle and cluster are never
    // destroyed: consumers may outlive any static destructor.
    return std::string("kafka://") + rd_kafka_mock_cluster_bootstraps(cluster) +
           "?session_timeout_ms=4500";
  }();
  return url;
}

}  // namespace mmx::test
