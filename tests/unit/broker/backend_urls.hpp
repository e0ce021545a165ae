#pragma once
// Which backends the contract suites run on: SQLite always; RabbitMQ and Redis when the
// harness started them (tests/harness/with_servers.py exports their URLs); Kafka on
// librdkafka's in-process mock cluster.
#include <cstdlib>
#include <string>
#include <vector>

namespace mmx::test {

// kafka://127.0.0.1:port,... of a mock cluster that lives until the process exits ("" when
// librdkafka cannot create one). Defined in kafka_mock.cpp.
std::string kafka_mock_url();

struct BackendSpec {
  std::string name;
  std::string url;  // "" = sqlite on a fresh temp file (made by the test)
};

inline std::vector<BackendSpec> backend_specs() {
  std::vector<BackendSpec> out{{"sqlite", ""}};
  if (const char* u = std::getenv("MMX_TEST_AMQP_URL")) out.push_back({"amqp", u});
  if (const char* u = std::getenv("MMX_TEST_REDIS_URL")) out.push_back({"redis", u});
  out.push_back({"kafka", "kafka-mock"});  // resolved lazily: the mock starts on first use
  return out;
}

}  // namespace mmx::test
