// RabbitMQ backend specifics the contract suite cannot express: a server restart under a
// live publisher and consumer, credential and reachability errors, URL validation, the
// server-side dead-letter queue, quorum queues' delivery count. A raw rabbitmq-c client
// checks what the backend put on the wire. Run through tests/harness/with_servers.py
// --rabbitmq (the restart test drives the harness's control directory).
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "broker_test_support.hpp"
#include "../../harness/control.hpp"
#include "mmx/broker/backend.hpp"

namespace mmx::broker {
namespace {

using mmx::test::unique;
using mmx::test::free_port;
using mmx::test::expect_error;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Kind = BrokerError::Kind;

// A plain rabbitmq-c connection for looking at the server's side of things.
class RawClient {
 public:
  RawClient(const std::string& host, int port) {
    conn_ = amqp_new_connection();
    amqp_socket_t* s = amqp_tcp_socket_new(conn_);
    EXPECT_EQ(amqp_socket_open(s, host.c_str(), port), AMQP_STATUS_OK);
    EXPECT_EQ(amqp_login(conn_, "/", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN, "guest",
                         "guest")
                  .reply_type,
              AMQP_RESPONSE_NORMAL);
    amqp_channel_open(conn_, 1);
    EXPECT_EQ(amqp_get_rpc_reply(conn_).reply_type, AMQP_RESPONSE_NORMAL);
  }
  ~RawClient() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }

  struct Got {
    bool found = false;
    std::uint64_t tag = 0;
    std::string body, routing_key, content_type, key_header;
    int delivery_mode = 0;
  };

  // basic.get without auto-ack (the caller acks or rejects the tag).
  Got get(const std::string& queue) {
    Got g;
    amqp_rpc_reply_t r = amqp_basic_get(conn_, 1, amqp_cstring_bytes(queue.c_str()), /*no_ack=*/0);
    EXPECT_EQ(r.reply_type, AMQP_RESPONSE_NORMAL);
    if (r.reply_type != AMQP_RESPONSE_NORMAL || r.reply.id != AMQP_BASIC_GET_OK_METHOD) return g;
    auto* ok = static_cast<amqp_basic_get_ok_t*>(r.reply.decoded);
    g.found = true;
    g.tag = ok->delivery_tag;
    g.routing_key = str(ok->routing_key);
    amqp_message_t m;
    EXPECT_EQ(amqp_read_message(conn_, 1, &m, 0).reply_type, AMQP_RESPONSE_NORMAL);
    g.body = str(m.body);
    g.content_type = str(m.properties.content_type);
    g.delivery_mode = m.properties.delivery_mode;
    for (int i = 0; i < m.properties.headers.num_entries; ++i)
      if (str(m.properties.headers.entries[i].key) == "mmx-key")
        g.key_header = str(m.properties.headers.entries[i].value.value.bytes);
    amqp_destroy_message(&m);
    return g;
  }
  void reject(std::uint64_t tag) { amqp_basic_reject(conn_, 1, tag, /*requeue=*/0); }
  void ack(std::uint64_t tag) { amqp_basic_ack(conn_, 1, tag, 0); }

 private:
  static std::string str(amqp_bytes_t b) { return std::string(static_cast<char*>(b.bytes), b.len); }
  amqp_connection_state_t conn_;
};

class AmqpBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = mmx::test::test_url("MMX_TEST_AMQP_URL");
    if (!url) GTEST_SKIP() << "no RabbitMQ: run through tests/harness/with_servers.py --rabbitmq";
    url_ = *url;  // amqp://guest:guest@127.0.0.1:PORT/%2f
    auto at = url_.find('@'), colon = url_.find(':', at), slash = url_.find('/', at);
    host_ = url_.substr(at + 1, colon - at - 1);
    port_ = std::stoi(url_.substr(colon + 1, slash - colon - 1));
    topic_ = unique("orders");
  }

  std::string url_with(const std::string& userinfo, int port, const std::string& rest = "/%2f") {
    return "amqp://" + userinfo + "@" + host_ + ":" + std::to_string(port) + rest;
  }

  static void publish(Backend& b, const std::string& topic, int from, int n) {
    std::vector<OutgoingMessage> batch;
    for (int i = from; i < from + n; ++i) batch.push_back({topic, "k", "{\"n\":" + std::to_string(i) + "}"});
    b.publish(batch);
  }

  static int number(const Delivery& d) { return std::stoi(d.payload.substr(d.payload.find(':') + 1)); }

  std::string url_, host_, topic_;
  int port_ = 0;
};

TEST_F(AmqpBackendTest, ServerRestartUnderLivePublisherAndConsumer) {
  auto backend = make_backend(url_);
  auto consumer = backend->subscribe(unique("g"), {topic_}, {});
  publish(*backend, topic_, 0, 1);
  auto first = consumer->poll(10, 5s);
  ASSERT_EQ(first.size(), 1u);
  consumer->ack(first[0]);
  publish(*backend, topic_, 1, 2);  // durable queue, persistent messages: survive the restart
  auto held = consumer->poll(1, 5s);  // handed out but not acked when the server goes
  ASSERT_EQ(held.size(), 1u);

  mmx::test::server_control("rabbitmq", "stop");
  for (int i = 0; i < 3; ++i) {  // each call fails, and fails fast (backoff is at most 1s)
    auto t0 = Clock::now();
    auto msg = expect_error(Kind::unavailable, [&] { publish(*backend, topic_, 100, 1); });
    EXPECT_LT(Clock::now() - t0, 3s);
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port_)), std::string::npos) << msg;
    EXPECT_EQ(msg.find(":guest@"), std::string::npos) << "password in: " << msg;
  }
  auto t0 = Clock::now();
  expect_error(Kind::unavailable, [&] { consumer->poll(10, 200ms); });
  expect_error(Kind::unavailable, [&] { consumer->poll(10, 200ms); });
  expect_error(Kind::unavailable, [&] { consumer->ack(held[0]); });
  expect_error(Kind::unavailable, [&] { backend->ping(); });
  EXPECT_LT(Clock::now() - t0, 6s);

  mmx::test::server_control("rabbitmq", "start");
  publish(*backend, topic_, 3, 1);  // the first call after the restart reconnects
  backend->ping();
  std::vector<int> got;
  auto until = Clock::now() + 20s;
  while (got.size() < 3 && Clock::now() < until) {
    try {
      for (auto& d : consumer->poll(10, 500ms)) {
        got.push_back(number(d));
        consumer->ack(d);
      }
    } catch (const BrokerError& e) {
      ASSERT_EQ(static_cast<int>(e.kind()), static_cast<int>(Kind::unavailable)) << e.what();
    }
  }
  // 1 (held, never acked) and 2 survived the restart; 3 was published after it.
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(consumer->poll(10, 500ms).empty());
}

TEST_F(AmqpBackendTest, ConnectionsTheServerDroppedWhileIdleComeBackWithoutAnError) {
  // heartbeat=1: RabbitMQ closes a connection that sent nothing for ~2s, as happens to a
  // publisher with nothing to publish, or a consumer whose handler runs long.
  auto backend = make_backend(url_ + "?heartbeat=1");
  auto consumer = backend->subscribe(unique("g"), {topic_}, {});
  publish(*backend, topic_, 0, 1);
  std::this_thread::sleep_for(4s);
  publish(*backend, topic_, 1, 1);
  std::vector<int> got;
  for (auto until = Clock::now() + 10s; got.size() < 2 && Clock::now() < until;)
    for (auto& d : consumer->poll(10, 500ms)) {
      got.push_back(number(d));
      consumer->ack(d);
    }
  EXPECT_EQ(got, (std::vector<int>{0, 1}));
}

TEST_F(AmqpBackendTest, WrongPasswordIsAnAuthenticationErrorWithoutThePassword) {
  auto backend = make_backend(url_with("guest:Wr0ngSecret", port_));
  auto msg = expect_error(Kind::authentication, [&] { backend->ping(); });
  EXPECT_EQ(msg.find("Wr0ngSecret"), std::string::npos) << msg;
  EXPECT_NE(msg.find("guest:***@"), std::string::npos) << msg;
  msg = expect_error(Kind::authentication, [&] { backend->subscribe("g", {"t"}, {}); });
  EXPECT_EQ(msg.find("Wr0ngSecret"), std::string::npos) << msg;
}

TEST_F(AmqpBackendTest, UnknownVhostIsAConfigurationError) {
  auto backend = make_backend(url_with("guest:guest", port_, "/no-such-vhost"));
  auto msg = expect_error(Kind::configuration, [&] { backend->ping(); });
  EXPECT_NE(msg.find("no-such-vhost"), std::string::npos) << msg;
}

TEST_F(AmqpBackendTest, UnreachablePortIsUnavailableQuickly) {
  int port = free_port();
  auto backend = make_backend(url_with("guest:S3cretPw", port));
  for (int i = 0; i < 3; ++i) {
    auto t0 = Clock::now();
    auto msg = expect_error(Kind::unavailable, [&] { publish(*backend, topic_, 0, 1); });
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << msg;
    EXPECT_EQ(msg.find("S3cretPw"), std::string::npos) << msg;
  }
  auto t0 = Clock::now();
  expect_error(Kind::unavailable, [&] { backend->subscribe("g", {"t"}, {}); });
  EXPECT_LT(Clock::now() - t0, 2s);
}

TEST_F(AmqpBackendTest, MalformedUrlsAreConfigurationErrorsWithoutThePassword) {
  for (std::string url : {"amqps://u:S3cretPw@h/", "amqp://u:S3cretPw@h:99999/",
                          "amqp://u:S3cretPw@h/?bogus=1", "amqp://u:S3cretPw@/vh",
                          "amqp://u:S3cretPw@h/?heartbeat=soon", "amqp://u:S3cretPw@h/?exchange=",
                          "amqp://u:S3cretPw@h/?queue_type=stream", "amqp://u:S3cret Pw@h/"}) {
    SCOPED_TRACE(url);
    auto msg = expect_error(Kind::configuration, [&] { make_backend(url); });
    EXPECT_EQ(msg.find("S3cret"), std::string::npos) << msg;
  }
  EXPECT_NE(expect_error(Kind::configuration, [] { make_backend("amqps://h/"); }).find("TLS"),
            std::string::npos);
  EXPECT_NE(expect_error(Kind::configuration, [] { make_backend("amqp://h/?bogus=1"); }).find("bogus"),
            std::string::npos);
  EXPECT_NE(expect_error(Kind::configuration, [] { make_backend("amqp://h/")->subscribe("g", {"orders.#"}, {}); })
                .find("wildcard"),
            std::string::npos);
  // Well-formed ones do not connect until used.
  make_backend("amqp://h");
  make_backend("amqp://u:p@h:1234/vh?exchange=x&heartbeat=10&connect_timeout=250ms&io_timeout=3s");
}

TEST_F(AmqpBackendTest, PublishedMessagesCarryTheirMetadataAndRejectedOnesAreDeadLettered) {
  auto backend = make_backend(url_);
  std::string group = unique("g");
  backend->subscribe(group, {topic_}, {});  // declares and binds the group's queue
  backend->publish(std::vector<OutgoingMessage>{{topic_, "order-7", "{\"id\":\"e1\"}"}});

  RawClient raw(host_, port_);
  auto got = raw.get(group);
  ASSERT_TRUE(got.found);
  EXPECT_EQ(got.body, "{\"id\":\"e1\"}");
  EXPECT_EQ(got.routing_key, topic_);
  EXPECT_EQ(got.content_type, "application/cloudevents+json");
  EXPECT_EQ(got.delivery_mode, 2);  // persistent
  EXPECT_EQ(got.key_header, "order-7");
  raw.reject(got.tag);  // requeue=false: the queue's dead-letter exchange takes it

  RawClient::Got dead;
  for (auto until = Clock::now() + 5s; !dead.found && Clock::now() < until;) {
    dead = raw.get(group + ".dead-letter");
    if (!dead.found) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(dead.found) << "nothing in " << group << ".dead-letter";
  EXPECT_EQ(dead.body, "{\"id\":\"e1\"}");
  EXPECT_EQ(dead.key_header, "order-7");
  raw.ack(dead.tag);
  EXPECT_FALSE(raw.get(group).found);
}

TEST_F(AmqpBackendTest, PublishingToATopicNobodySubscribedIsFine) {
  auto backend = make_backend(url_);
  publish(*backend, unique("nobody"), 0, 5);
}

TEST_F(AmqpBackendTest, QuorumQueuesCountAttempts) {
  auto backend = make_backend(url_ + "?queue_type=quorum&exchange=" + unique("mmxq"));
  auto consumer = backend->subscribe(unique("g"), {topic_}, {});
  publish(*backend, topic_, 0, 1);
  auto first = consumer->poll(1, 5s);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].attempt, 1);
  consumer->release(first[0]);
  auto again = consumer->poll(1, 5s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(number(again[0]), 0);
  EXPECT_EQ(again[0].attempt, 2);
  consumer->ack(again[0]);
}

TEST_F(AmqpBackendTest, PublishThroughput) {
  auto backend = make_backend(url_);
  auto consumer = backend->subscribe(unique("g"), {topic_}, {});
  const int batches = 20, per_batch = 500;
  std::string payload(300, 'x');
  std::vector<OutgoingMessage> batch(per_batch, OutgoingMessage{topic_, "k", payload});
  auto t0 = Clock::now();
  for (int i = 0; i < batches; ++i) backend->publish(batch);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::size_t got = 0;
  auto t1 = Clock::now();
  for (auto until = Clock::now() + 30s; got < batches * per_batch && Clock::now() < until;)
    for (auto& d : consumer->poll(256, 500ms)) {
      consumer->ack(d);
      ++got;
    }
  double consume_secs = std::chrono::duration<double>(Clock::now() - t1).count();
  EXPECT_EQ(got, static_cast<std::size_t>(batches * per_batch));
  RecordProperty("publish_msgs_per_s", static_cast<int>(batches * per_batch / secs));
  std::printf("published %d x 300B in %.2fs (%.0f msg/s, confirmed batches of %d); consumed in %.2fs (%.0f msg/s)\n",
              batches * per_batch, secs, batches * per_batch / secs, per_batch, consume_secs,
              got / consume_secs);
}

}  // namespace
}  // namespace mmx::broker
