// (being written by the Kafka backend's author)
#include <string>
namespace mmx::test {
std::string kafka_mock_url() { return {}; }
}  // namespace mmx::test
