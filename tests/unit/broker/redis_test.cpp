// Redis Streams backend specifics the contract suite cannot express: a server stop/start
// under a live publisher and consumer, a silent member's entries claimed by another after
// stuck_after (and not while it keeps polling), credentials against a redis-server with
// requirepass started here, MAXLEN trimming, several streams in one poll, URL validation.
// A raw hiredis client checks what the backend wrote. Run through
// tests/harness/with_servers.py --redis (the stop/start test drives its control directory).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker_test_support.hpp"
#include "../../harness/control.hpp"
#include "mmx/broker/backend.hpp"

extern char** environ;

namespace mmx::broker {
namespace {

using mmx::test::unique;
using mmx::test::free_port;
using mmx::test::expect_error;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Kind = BrokerError::Kind;

// A plain hiredis connection for looking at the server's side of things.
class RawRedis {
 public:
  RawRedis(const std::string& host, int port) : c_(redisConnect(host.c_str(), port)) {
    EXPECT_TRUE(c_ && !c_->err);
  }
  ~RawRedis() { redisFree(c_); }
  long long integer(const std::vector<std::string>& args) {
    auto* r = run(args);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
  }
  // XRANGE key - + COUNT 1 -> {field: value}
  std::vector<std::pair<std::string, std::string>> first_entry(const std::string& key) {
    std::vector<std::pair<std::string, std::string>> out;
    auto* r = run({"XRANGE", key, "-", "+", "COUNT", "1"});
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
      const redisReply* fields = r->element[0]->element[1];
      for (std::size_t i = 0; i + 1 < fields->elements; i += 2)
        out.emplace_back(fields->element[i]->str, fields->element[i + 1]->str);
    }
    freeReplyObject(r);
    return out;
  }

 private:
  redisReply* run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    return static_cast<redisReply*>(redisCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), lens.data()));
  }
  redisContext* c_;
};

// A redis-server of our own with requirepass, stopped by its PID.
class PasswordRedis {
 public:
  explicit PasswordRedis(const std::string& password) : port_(free_port()) {
    dir_ = std::filesystem::temp_directory_path() / unique("mmx-redis-auth");
    std::filesystem::create_directories(dir_);
    std::string port = std::to_string(port_);
    std::vector<std::string> args{"redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--requirepass", password,
                                  "--dir", dir_.string(), "--daemonize", "no", "--loglevel", "warning"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t quiet;  // its start-up banner is not test output
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    EXPECT_EQ(posix_spawnp(&pid_, "redis-server", &quiet, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&quiet);
    for (auto until = Clock::now() + 10s; Clock::now() < until; std::this_thread::sleep_for(20ms)) {
      redisContext* c = redisConnect("127.0.0.1", port_);
      bool up = c && !c->err;
      redisFree(c);
      if (up) return;
    }
    ADD_FAILURE() << "redis-server with requirepass did not start";
  }
  ~PasswordRedis() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  int port() const { return port_; }

 private:
  int port_;
  pid_t pid_ = -1;
  std::filesystem::path dir_;
};

class RedisBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = mmx::test::test_url("MMX_TEST_REDIS_URL");
    if (!url) GTEST_SKIP() << "no Redis: run through tests/harness/with_servers.py --redis";
    url_ = *url;  // redis://127.0.0.1:PORT/0
    auto start = url_.find("://") + 3, colon = url_.find(':', start), slash = url_.find('/', start);
    host_ = url_.substr(start, colon - start);
    port_ = std::stoi(url_.substr(colon + 1, slash - colon - 1));
    topic_ = unique("orders");
  }

  static void publish(Backend& b, const std::string& topic, int from, int n) {
    std::vector<OutgoingMessage> batch;
    for (int i = from; i < from + n; ++i) batch.push_back({topic, "k", "{\"n\":" + std::to_string(i) + "}"});
    b.publish(batch);
  }
  static int number(const Delivery& d) { return std::stoi(d.payload.substr(d.payload.find(':') + 1)); }

  static ConsumerOptions stuck_after(std::chrono::milliseconds d) {
    ConsumerOptions o;
    o.stuck_after = d;
    return o;
  }

  std::string url_, host_, topic_;
  int port_ = 0;
};

TEST_F(RedisBackendTest, ServerStopAndStartUnderLivePublisherAndConsumer) {
  auto backend = make_backend(url_);
  auto consumer = backend->subscribe(unique("g"), {topic_}, {});
  publish(*backend, topic_, 0, 1);
  auto first = consumer->poll(10, 5s);
  ASSERT_EQ(first.size(), 1u);
  consumer->ack(first[0]);
  auto idle = make_backend(url_);
  idle->ping();

  mmx::test::server_control("redis", "stop");
  for (int i = 0; i < 3; ++i) {
    auto t0 = Clock::now();
    auto msg = expect_error(Kind::unavailable, [&] { publish(*backend, topic_, 100, 1); });
    EXPECT_LT(Clock::now() - t0, 3s);
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port_)), std::string::npos) << msg;
  }
  auto t0 = Clock::now();
  expect_error(Kind::unavailable, [&] { consumer->poll(10, 200ms); });
  expect_error(Kind::unavailable, [&] { consumer->poll(10, 200ms); });
  expect_error(Kind::unavailable, [&] { backend->ping(); });
  EXPECT_LT(Clock::now() - t0, 6s);

  mmx::test::server_control("redis", "start");
  // The harness's Redis keeps no data across a restart: the stream and the group are
  // gone; the consumer recreates its group and still gets what is published from now on.
  // A publisher that sat idle through the outage still holds its old connection: its
  // first batch fails on it and is retried on a new one, transparently. A big batch: the
  // writes to the reset connection fail with EPIPE part-way (30MB is more than the socket
  // buffers take), which must not kill us with SIGPIPE.
  std::vector<OutgoingMessage> big(30000, OutgoingMessage{unique("bulk"), "k", std::string(1000, 'x')});
  idle->publish(big);
  publish(*backend, topic_, 1, 2);  // the first call after the restart reconnects
  backend->ping();
  std::vector<int> got;
  for (auto until = Clock::now() + 20s; got.size() < 2 && Clock::now() < until;) {
    try {
      for (auto& d : consumer->poll(10, 500ms)) {
        got.push_back(number(d));
        consumer->ack(d);
      }
    } catch (const BrokerError& e) {
      ASSERT_EQ(static_cast<int>(e.kind()), static_cast<int>(Kind::unavailable)) << e.what();
    }
  }
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
  EXPECT_TRUE(consumer->poll(10, 300ms).empty());
}

TEST_F(RedisBackendTest, ASilentMembersEntriesAreClaimedByAnotherAfterStuckAfter) {
  auto backend = make_backend(url_);
  std::string group = unique("g");
  auto a = backend->subscribe(group, {topic_}, stuck_after(400ms));
  auto b = backend->subscribe(group, {topic_}, stuck_after(400ms));
  publish(*backend, topic_, 0, 3);
  auto held = a->poll(10, 2s);
  ASSERT_EQ(held.size(), 3u);
  EXPECT_EQ(held[0].attempt, 1);

  // While a keeps polling, its entries are kept fresh: b does not take them...
  for (auto until = Clock::now() + 1500ms; Clock::now() < until;) {
    EXPECT_TRUE(a->poll(10, 50ms).empty());
    EXPECT_TRUE(b->poll(10, 50ms).empty()) << "b took entries a still holds";
  }
  // ...once a falls silent (hung or dead), b does, in order, as second attempts.
  std::vector<Delivery> taken;
  for (auto until = Clock::now() + 5s; taken.size() < 3 && Clock::now() < until;)
    for (auto& d : b->poll(10, 100ms)) taken.push_back(d);
  ASSERT_EQ(taken.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(number(taken[i]), i);
    EXPECT_EQ(taken[i].attempt, 2);
    b->ack(taken[i]);
  }
  a.reset();
  EXPECT_TRUE(b->poll(10, 1s).empty());
}

TEST_F(RedisBackendTest, ReleasedEntriesComeBackFirstWithTheNextAttempt) {
  auto backend = make_backend(url_);
  auto c = backend->subscribe(unique("g"), {topic_}, {});
  publish(*backend, topic_, 0, 3);
  auto got = c->poll(10, 2s);
  ASSERT_EQ(got.size(), 3u);
  c->release(got[1]);
  c->ack(got[0]);
  c->ack(got[2]);
  auto again = c->poll(10, 2s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(number(again[0]), 1);
  EXPECT_EQ(again[0].attempt, 2);
  c->release(again[0]);
  again = c->poll(10, 2s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 3);
  c->ack(again[0]);
  EXPECT_TRUE(c->poll(10, 300ms).empty());
}

TEST_F(RedisBackendTest, SeveralStreamsNeverGiveMoreThanAskedOrLoseAny) {
  auto backend = make_backend(url_);
  std::string other = unique("payments");
  auto c = backend->subscribe(unique("g"), {topic_, other}, {});
  publish(*backend, topic_, 0, 10);
  publish(*backend, other, 100, 10);
  std::multiset<int> seen;
  for (auto until = Clock::now() + 5s; seen.size() < 20 && Clock::now() < until;) {
    auto got = c->poll(3, 200ms);
    EXPECT_LE(got.size(), 3u);
    for (auto& d : got) {
      seen.insert(number(d));
      c->ack(d);
    }
  }
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_EQ(std::set<int>(seen.begin(), seen.end()).size(), 20u);
}

TEST_F(RedisBackendTest, WrongPasswordIsAnAuthenticationErrorWithoutThePassword) {
  PasswordRedis server("R1ghtPassw0rd");
  std::string base = "127.0.0.1:" + std::to_string(server.port());
  for (std::string url : {"redis://:Wr0ngSecret@" + base, "redis://default:Wr0ngSecret@" + base}) {
    auto backend = make_backend(url);
    auto msg = expect_error(Kind::authentication, [&] { backend->ping(); });
    EXPECT_EQ(msg.find("Wr0ngSecret"), std::string::npos) << msg;
    EXPECT_NE(msg.find(":***@"), std::string::npos) << msg;
    msg = expect_error(Kind::authentication, [&] { backend->subscribe("g", {"t"}, {}); });
    EXPECT_EQ(msg.find("Wr0ngSecret"), std::string::npos) << msg;
  }
  // No password at all: the server answers NOAUTH.
  expect_error(Kind::authentication, [&] { make_backend("redis://" + base)->ping(); });
  auto good = make_backend("redis://:R1ghtPassw0rd@" + base + "/2");
  good->ping();
  auto c = good->subscribe(unique("g"), {topic_}, {});
  publish(*good, topic_, 0, 1);
  EXPECT_EQ(c->poll(1, 2s).size(), 1u);
}

TEST_F(RedisBackendTest, UnreachablePortIsUnavailableQuickly) {
  int port = free_port();
  auto backend = make_backend("redis://:S3cretPw@127.0.0.1:" + std::to_string(port));
  for (int i = 0; i < 3; ++i) {
    auto t0 = Clock::now();
    auto msg = expect_error(Kind::unavailable, [&] { publish(*backend, topic_, 0, 1); });
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << msg;
    EXPECT_EQ(msg.find("S3cretPw"), std::string::npos) << msg;
  }
  expect_error(Kind::unavailable, [&] { backend->subscribe("g", {"t"}, {}); });
}

TEST_F(RedisBackendTest, MalformedUrlsAreConfigurationErrorsWithoutThePassword) {
  for (std::string url : {"rediss://:S3cretPw@h/", "redis://:S3cretPw@h:0/", "redis://:S3cretPw@h/x",
                          "redis://:S3cretPw@h/?bogus=1", "redis://S3cretPw@h/", "redis://:S3cretPw@/0",
                          "redis://:S3cretPw@h/?maxlen=-1", "redis://:S3cretPw@h/?connect_timeout=0"}) {
    SCOPED_TRACE(url);
    auto msg = expect_error(Kind::configuration, [&] { make_backend(url); });
    EXPECT_EQ(msg.find("S3cret"), std::string::npos) << msg;
  }
  EXPECT_NE(expect_error(Kind::configuration, [] { make_backend("rediss://h/"); }).find("TLS"),
            std::string::npos);
  make_backend("redis://h");
  make_backend("redis://u:p@h:1234/3?maxlen=0&connect_timeout=250ms&io_timeout=3s");
}

TEST_F(RedisBackendTest, StreamsHoldKeyPayloadAndTimeAndAreTrimmedToMaxlen) {
  auto backend = make_backend(url_ + "?maxlen=100");
  auto before = std::chrono::system_clock::now();
  backend->publish(std::vector<OutgoingMessage>{{topic_, "order-7", "{\"id\":\"e1\"}"}});
  RawRedis raw(host_, port_);
  const std::string key = "mmx:stream:" + topic_;
  auto fields = raw.first_entry(key);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{"key", "order-7"}));
  EXPECT_EQ(fields[1], (std::pair<std::string, std::string>{"payload", "{\"id\":\"e1\"}"}));
  EXPECT_EQ(fields[2].first, "ts");
  auto ts = std::chrono::system_clock::time_point(std::chrono::milliseconds(std::stoll(fields[2].second)));
  EXPECT_LE(std::chrono::abs(ts - before), 5s);

  for (int i = 0; i < 20; ++i) publish(*backend, topic_, i * 100, 100);
  long long len = raw.integer({"XLEN", key});
  // "~" trims whole macro nodes (100 entries each by default): about maxlen, never below.
  EXPECT_GE(len, 100);
  EXPECT_LT(len, 300);

  auto untrimmed = make_backend(url_ + "?maxlen=0");
  std::string other = unique("audit");
  for (int i = 0; i < 5; ++i) publish(*untrimmed, other, i * 100, 100);
  EXPECT_EQ(raw.integer({"XLEN", "mmx:stream:" + other}), 500);
}

TEST_F(RedisBackendTest, PublishThroughput) {
  auto backend = make_backend(url_);
  auto consumer = backend->subscribe(unique("g"), {topic_}, {});
  const int batches = 20, per_batch = 500;
  std::vector<OutgoingMessage> batch(per_batch, OutgoingMessage{topic_, "k", std::string(300, 'x')});
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
  std::printf("published %d x 300B in %.2fs (%.0f msg/s, pipelined batches of %d); consumed+acked in %.2fs (%.0f msg/s)\n",
              batches * per_batch, secs, batches * per_batch / secs, per_batch, consume_secs,
              got / consume_secs);
}

}  // namespace
}  // namespace mmx::broker
