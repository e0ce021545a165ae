// The Kafka backend under faults, on librdkafka's mock cluster (three brokers on loopback
// sockets, one fresh cluster per test): brokers down and back, retried produce requests,
// a member that dies holding deliveries, an unreachable bootstrap; plus URL checking and
// the routing of librdkafka's logs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "broker_test_support.hpp"
#include "mmx/broker/backend.hpp"
#include "mmx/log/log.hpp"

extern char** environ;

namespace mmx::broker {
namespace {

using mmx::test::unique;
using mmx::test::since;
using mmx::test::free_port;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Kind = BrokerError::Kind;

// A private mock cluster, so that taking brokers down cannot disturb another test.
class MockCluster {
 public:
  static constexpr int brokers = 3;
  MockCluster() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(rk_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // See kafka_mock.cpp for the session timeout.
  std::string url(const std::string& extra = "timeout=2s") const {
    return std::string("kafka://") + rd_kafka_mock_cluster_bootstraps(cluster_) +
           "?session_timeout_ms=4500&" + extra;
  }
  void all_down() {
    for (int id = 1; id <= brokers; ++id) rd_kafka_mock_broker_set_down(cluster_, id);
  }
  void all_up() {
    for (int id = 1; id <= brokers; ++id) rd_kafka_mock_broker_set_up(cluster_, id);
  }
  rd_kafka_mock_cluster_t* get() { return cluster_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

std::vector<OutgoingMessage> messages(const std::string& topic, int n, int start = 0) {
  std::vector<OutgoingMessage> out;
  for (int i = start; i < start + n; ++i)
    out.push_back({topic, "k" + std::to_string(i % 4), "{\"n\":" + std::to_string(i) + "}"});
  return out;
}

int number(const Delivery& d) { return std::stoi(d.payload.substr(d.payload.find(':') + 1)); }

std::vector<Delivery> drain(Consumer& c, std::size_t want, bool ack = true,
                            std::chrono::milliseconds deadline = 30s) {
  std::vector<Delivery> got;
  auto until = Clock::now() + deadline;
  while (got.size() < want && Clock::now() < until) {
    for (auto& d : c.poll(want - got.size(), 200ms)) {
      if (ack) c.ack(d);
      got.push_back(std::move(d));
    }
  }
  return got;
}

class KafkaFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    // librdkafka's connection warnings are expected here; LibrdkafkaLogsGoToOurLog checks
    // that they reach mmx::log.
    mmx::log::configure({.level = mmx::log::Level::error});
  }
  void TearDown() override { mmx::log::configure({}); }

  // Fails the test unless `f` throws BrokerError(unavailable) naming the URL.
  template <class F>
  void expect_unavailable(F&& f, const std::string& url_part) {
    try {
      f();
      ADD_FAILURE() << "no BrokerError";
    } catch (const BrokerError& e) {
      EXPECT_EQ(e.kind(), Kind::unavailable) << e.what();
      EXPECT_NE(std::string(e.what()).find(url_part), std::string::npos) << e.what();
    }
  }

  MockCluster cluster_;  // first: outlives the clients below
};

TEST_F(KafkaFaults, PublishWhileAllBrokersAreDownFailsInBoundedTimeAndRecovers) {
  auto backend = make_backend(cluster_.url("timeout=2s"));
  std::string topic = unique("orders");
  auto consumer = backend->subscribe(unique("g"), {topic}, {});
  backend->publish(messages(topic, 5));

  cluster_.all_down();
  auto t0 = Clock::now();
  expect_unavailable([&] { backend->publish(messages(topic, 5, 100)); }, "kafka://127.0.0.1:");
  EXPECT_LT(since(t0), 6s) << "the first failure waits for message.timeout.ms (2 s) + slack";
  t0 = Clock::now();
  expect_unavailable([&] { backend->publish(messages(topic, 1, 200)); }, "kafka://127.0.0.1:");
  EXPECT_LT(since(t0), 3s) << "a known outage should fail fast";
  t0 = Clock::now();
  expect_unavailable([&] { backend->ping(); }, "kafka://127.0.0.1:");
  EXPECT_LT(since(t0), 3s);
  t0 = Clock::now();
  expect_unavailable(
      [&] {
        for (int i = 0; i < 20; ++i) consumer->poll(10, 200ms);  // the consumer notices too
      },
      "kafka://127.0.0.1:");
  EXPECT_LT(since(t0), 6s);

  cluster_.all_up();
  // The first call after the cluster is back may still race the reconnect backoff (1 s).
  t0 = Clock::now();
  bool published = false;
  while (!published && since(t0) < 10s) {
    try {
      backend->publish(messages(topic, 5, 300));
      published = true;
    } catch (const BrokerError& e) {
      EXPECT_EQ(e.kind(), Kind::unavailable) << e.what();
    }
  }
  ASSERT_TRUE(published) << "publish did not recover within 10 s of the brokers coming back";
  EXPECT_NO_THROW(backend->ping());

  // Everything confirmed arrives; what failed may or may not have been written.
  const std::vector<int> confirmed = {0, 1, 2, 3, 4, 300, 301, 302, 303, 304};
  std::map<int, int> seen;
  auto all_seen = [&] {
    for (int n : confirmed)
      if (!seen.contains(n)) return false;
    return true;
  };
  auto until = Clock::now() + 20s;
  while (!all_seen() && Clock::now() < until) {
    try {
      for (auto& d : consumer->poll(64, 200ms)) {
        ++seen[number(d)];
        consumer->ack(d);
      }
    } catch (const BrokerError&) {
      std::this_thread::sleep_for(100ms);  // still reconnecting
    }
  }
  for (int n : confirmed) EXPECT_GE(seen[n], 1) << n;
}

// The mock cannot show the broker dropping a retried batch that it had already written
// (it checks sequence numbers for transactional producers only), so this injects errors
// that make the broker refuse the first attempts: each message must still arrive once,
// in order per key.
TEST_F(KafkaFaults, TransientProduceErrorsAreRetriedWithinPublishWithoutDuplicates) {
  auto backend = make_backend(cluster_.url("timeout=4s"));
  std::string topic = unique("orders");
  auto consumer = backend->subscribe(unique("g"), {topic}, {});
  backend->publish(messages(topic, 1));
  rd_kafka_mock_push_request_errors(
      cluster_.get(), /*Produce*/ 0, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  backend->publish(messages(topic, 40, 1));
  auto got = drain(*consumer, 41);
  ASSERT_EQ(got.size(), 41u);
  EXPECT_TRUE(consumer->poll(64, 1500ms).empty()) << "a retried produce request duplicated";
  std::map<int, int> seen;
  std::map<std::string, int> last;
  for (const auto& d : got) {
    int n = number(d);
    ++seen[n];
    if (last.contains(d.key)) {
      EXPECT_LT(last[d.key], n) << "key " << d.key << " out of order";
    }
    last[d.key] = n;
  }
  for (int i = 0; i <= 40; ++i) EXPECT_EQ(seen[i], 1) << "message " << i;
}

// The producer really is idempotent (it asks for a producer id), and a fatal producer
// error costs one publish: the next one gets a fresh producer.
TEST_F(KafkaFaults, AFatalProducerErrorIsReportedAndTheProducerReplaced) {
  rd_kafka_mock_push_request_errors(cluster_.get(), /*InitProducerId*/ 22, 1,
                                    RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
  auto backend = make_backend(cluster_.url("timeout=2s"));
  std::string topic = unique("orders");
  auto consumer = backend->subscribe(unique("g"), {topic}, {});
  try {
    backend->publish(messages(topic, 3));
    ADD_FAILURE() << "publish succeeded without a producer id";
  } catch (const BrokerError& e) {
    EXPECT_EQ(e.kind(), Kind::authentication) << e.what();
    EXPECT_NE(std::string(e.what()).find("fatal"), std::string::npos) << e.what();
  }
  backend->publish(messages(topic, 3, 10));
  auto got = drain(*consumer, 3);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& d : got) EXPECT_GE(number(d), 10);
}

// Runs in a child process (see below): joins, takes the deliveries, never acknowledges
// them, and dies without closing the consumer.
TEST(KafkaChild, DiesHoldingDeliveries) {
  const char* spec = std::getenv("MMX_KAFKA_CHILD");
  if (!spec) GTEST_SKIP() << "only run by KafkaFaults.ADeadMemberWithoutCommitsIsReplaced";
  std::string s = spec;  // url|group|topic|n
  auto a = s.find('|'), b = s.find('|', a + 1), c = s.find('|', b + 1);
  auto backend = make_backend(s.substr(0, a));
  auto consumer = backend->subscribe(s.substr(a + 1, b - a - 1), {s.substr(b + 1, c - b - 1)}, {});
  auto got = drain(*consumer, std::stoul(s.substr(c + 1)), /*ack=*/false);
  std::_Exit(got.size() == std::stoul(s.substr(c + 1)) ? 0 : 3);
}

TEST_F(KafkaFaults, ADeadMemberWithoutCommitsIsReplaced) {
  auto url = cluster_.url();
  auto backend = make_backend(url);
  std::string topic = unique("orders"), group = unique("g");
  backend->subscribe(group, {topic}, {});  // the group exists before the messages
  backend->publish(messages(topic, 12));

  std::string env = "MMX_KAFKA_CHILD=" + url + "|" + group + "|" + topic + "|12";
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(env.data());
  envp.push_back(nullptr);
  std::string self = "/proc/self/exe", filter = "--gtest_filter=KafkaChild.*";
  char* argv[] = {self.data(), filter.data(), nullptr};
  posix_spawn_file_actions_t quiet;  // the child's gtest report would interleave with ours
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, self.c_str(), &quiet, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&quiet);
  ASSERT_EQ(spawned, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;

  // The dead member keeps its partitions until its session times out; then they come to
  // the new member from the last committed offsets: all twelve again.
  auto consumer = backend->subscribe(group, {topic}, {});
  auto got = drain(*consumer, 12, true, 40s);
  ASSERT_EQ(got.size(), 12u);
  std::map<int, int> seen;
  for (const auto& d : got) ++seen[number(d)];
  for (int i = 0; i < 12; ++i) EXPECT_EQ(seen[i], 1) << i;
}

TEST_F(KafkaFaults, ReleaseThenLaterAckDoesNotSkipTheReleasedDelivery) {
  auto backend = make_backend(cluster_.url());
  std::string topic = unique("orders"), group = unique("g");
  {
    auto c = backend->subscribe(group, {topic}, {});
    std::vector<OutgoingMessage> same_key;
    for (int i = 0; i < 3; ++i)
      same_key.push_back({topic, "k", "{\"n\":" + std::to_string(i) + "}"});
    backend->publish(same_key);
    auto got = drain(*c, 3, /*ack=*/false);
    ASSERT_EQ(got.size(), 3u);
    c->ack(got[0]);
    c->release(got[1]);
    c->ack(got[2]);  // must not commit past the released one
  }
  auto c2 = backend->subscribe(group, {topic}, {});
  auto again = drain(*c2, 2);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(number(again[0]), 1);
  EXPECT_EQ(number(again[1]), 2);
}

TEST_F(KafkaFaults, DeliveriesCarryLagAndPublishTime) {
  auto backend = make_backend(cluster_.url());
  std::string topic = unique("orders");
  auto c = backend->subscribe(unique("g"), {topic}, {});
  std::vector<OutgoingMessage> same_key;
  for (int i = 0; i < 5; ++i) same_key.push_back({topic, "k", "{\"n\":" + std::to_string(i) + "}"});
  auto before = std::chrono::system_clock::now() - 1s;
  backend->publish(same_key);
  auto got = drain(*c, 5);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got.back().lag, 0);
  EXPECT_EQ(got.front().lag, 4);
  for (const auto& d : got) {
    EXPECT_EQ(d.attempt, 1);
    EXPECT_GE(d.published, before);
    EXPECT_LE(d.published, std::chrono::system_clock::now() + 1s);
  }
}

TEST(KafkaUnreachable, PingFailsQuicklyWithAClearMessage) {
  mmx::log::configure({.level = mmx::log::Level::error});
  std::string url = "kafka://127.0.0.1:" + std::to_string(free_port());
  auto backend = make_backend(url);
  auto t0 = Clock::now();
  try {
    backend->ping();
    ADD_FAILURE() << "ping succeeded";
  } catch (const BrokerError& e) {
    EXPECT_EQ(e.kind(), Kind::unavailable);
    std::string what = e.what();
    EXPECT_NE(what.find(url), std::string::npos) << what;
    EXPECT_NE(what.find("Connection refused"), std::string::npos) << what;
  }
  EXPECT_LT(since(t0), 1500ms);
  t0 = Clock::now();
  EXPECT_THROW(backend->subscribe("g", {"orders"}, {}), BrokerError);
  EXPECT_LT(since(t0), 2500ms);
  t0 = Clock::now();
  EXPECT_THROW(backend->publish(messages("orders", 1)), BrokerError);
  EXPECT_LT(since(t0), 2500ms);
  mmx::log::configure({});
}

TEST(KafkaUrl, MalformedUrlsAreConfigurationErrorsThatNameTheProblem) {
  struct Case {
    std::string url, expect;
  };
  std::vector<Case> cases = {
      {"kafka://", "no broker address"},
      {"kafka://localhost", "missing port"},
      {"kafka://localhost:notaport", "bad port"},
      {"kafka://localhost:9092,", "empty broker address"},
      {"kafka://localhost:70000", "bad port"},
      {"kafka://localhost:9092/path", "no path"},
      {"kafka://localhost:9092?partitions=0", "partitions"},
      {"kafka://localhost:9092?partitions=x", "partitions"},
      {"kafka://localhost:9092?timeout=soon", "timeout"},
      {"kafka://localhost:9092?linger=5", "unknown option 'linger'"},
      {"kafka://localhost:9092?replication", "key=value"},
      {"kafka://localhost:9092?sasl_mechanism=PLAIN", "not supported yet"},
      {"kafka://user:s3cret@localhost:9092", "not supported yet"},
  };
  for (const auto& c : cases) {
    try {
      make_backend(c.url);
      ADD_FAILURE() << c.url << " was accepted";
    } catch (const BrokerError& e) {
      EXPECT_EQ(e.kind(), Kind::configuration) << c.url;
      std::string what = e.what();
      EXPECT_NE(what.find(c.expect), std::string::npos) << c.url << ": " << what;
      EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;
    }
  }
}

TEST(KafkaUrl, AcceptsSeveralBrokersAndOptions) {
  EXPECT_NO_THROW(
      make_backend("kafka://127.0.0.1:9092,[::1]:9093,kafka-2:9094/?partitions=12&replication=3"
                   "&client_id=orders-svc&linger_ms=0&timeout=1500ms&session_timeout_ms=10000"));
  EXPECT_EQ(make_backend("kafka://localhost:9092")->name(), "kafka");
}

TEST(KafkaLogs, LibrdkafkaLogsGoToOurLog) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  mmx::log::configure({.level = mmx::log::Level::warn, .fd = fds[1]});
  {
    auto backend = make_backend("kafka://127.0.0.1:" + std::to_string(free_port()));
    EXPECT_THROW(backend->ping(), BrokerError);
  }
  mmx::log::flush();
  mmx::log::configure({});
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(fds[0]);
  EXPECT_NE(out.find("\"service\":\"broker\""), std::string::npos) << out;
  EXPECT_NE(out.find("Connection refused"), std::string::npos) << out;
}

}  // namespace
}  // namespace mmx::broker
