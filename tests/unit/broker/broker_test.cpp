// The generic layer on every backend: CloudEvents round trip, retries with backoff then
// success, retries exhausted -> dead-letter topic with the last error, malformed payloads
// dead-lettered, the transactional outbox (commit publishes, rollback does not, a broker
// outage loses nothing), and the idempotent consumer (a redelivered event has one effect).
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <filesystem>
#include <list>
#include <map>
#include <set>
#include <mutex>
#include <random>
#include <thread>

#include "broker_test_support.hpp"
#include "../../harness/control.hpp"
#include "backend_urls.hpp"
#include "mmx/broker/broker.hpp"
#include "mmx/broker/contracts.hpp"
#include "mmx/broker/idempotent.hpp"
#include "mmx/broker/outbox.hpp"
#include "mmx/db/errors.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::broker {
namespace {

using mmx::test::unique;
using mmx::test::wait_until;

namespace asio = boost::asio;
using namespace std::chrono_literals;
using mmx::test::BackendSpec;


// An io thread for handlers and relays, with a way to stop every coroutine it runs.
class Loop {
 public:
  Loop() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~Loop() { stop(); }
  void spawn(asio::awaitable<void> aw) {
    auto& sig = signals_.emplace_back();
    asio::co_spawn(io_, std::move(aw), asio::bind_cancellation_slot(sig.slot(), asio::detached));
  }
  template <class T>
  T run(asio::awaitable<T> aw) {
    return asio::co_spawn(io_, std::move(aw), asio::use_future).get();
  }
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      for (auto& s : signals_) s.emit(asio::cancellation_type::terminal);
    });
    guard_.reset();
    thread_.join();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::list<asio::cancellation_signal> signals_;
  std::thread thread_;
};


// What handlers saw, with a bounded wait for a condition (no sleeps).
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Message> messages;
  void add(const Message& m) {
    std::lock_guard lock(mu);
    messages.push_back(m);
    cv.notify_all();
  }
  bool wait_for_count(std::size_t n, std::chrono::seconds limit = 30s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [&] { return messages.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return messages.size();
  }
};

class BrokerSuite : public ::testing::TestWithParam<BackendSpec> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / unique("mmx-broker-suite");
    std::filesystem::create_directories(dir_);
    url_ = GetParam().url;
    if (url_.empty()) url_ = "sqlite:" + (dir_ / "events.db").string();
    if (url_ == "kafka-mock") {
      url_ = mmx::test::kafka_mock_url();
      if (url_.empty()) GTEST_SKIP() << "no Kafka mock cluster";
    }
    BrokerOptions o;
    o.name = "test";
    broker_ = std::make_unique<Broker>(make_backend(url_), o, &metrics_);
    topic_ = unique("orders");
  }
  void TearDown() override {
    loop_.stop();
    broker_.reset();
    std::filesystem::remove_all(dir_);
  }

  ConsumeOptions fast(int attempts = 3) {
    ConsumeOptions o;
    o.retry.max_attempts = attempts;
    o.retry.initial_backoff = 10ms;
    o.retry.max_backoff = 50ms;
    o.consumer.stuck_after = 1s;
    o.poll_wait = 100ms;
    return o;
  }

  Event order_event(int n) {
    return make_event("order.placed", "/micromax/test", boost::json::object{{"n", n}},
                      "order-" + std::to_string(n),
                      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  }

  // Subscribes a collecting handler; returns once the group exists (so nothing published
  // afterwards is missed), which the first empty poll proves.
  void collect(const std::string& group, std::vector<std::string> topics, Seen& seen,
               ConsumeOptions o) {
    loop_.spawn(broker_->consume(group, std::move(topics),
                                 [&seen](const Message& m) -> asio::awaitable<void> {
                                   seen.add(m);
                                   co_return;
                                 },
                                 o));
    wait_subscribed(group);
  }

  // A group receives what is published after it exists; the consumer creates it on its
  // first poll, which the broker counts.
  void wait_subscribed(const std::string& group) {
    auto& polls = metrics_.counter("mmx_broker_polls_total", "", {"group"}).with({group});
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (polls.value() < 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    ASSERT_GE(polls.value(), 1) << "consumer " << group << " never polled";
  }

  std::filesystem::path dir_;
  std::string url_, topic_;
  metrics::Registry metrics_;
  std::unique_ptr<Broker> broker_;
  Loop loop_;
};

TEST_P(BrokerSuite, EventsArriveWithEveryAttribute) {
  Seen seen;
  collect(unique("g"), {topic_}, seen, fast());
  Event e = order_event(1);
  e.extensions["tenant"] = "acme";
  loop_.run(broker_->publish(topic_, "order-1", e));
  ASSERT_TRUE(seen.wait_for_count(1));
  const Message& m = seen.messages[0];
  EXPECT_EQ(m.event.id, e.id);
  EXPECT_EQ(m.event.type, "order.placed");
  EXPECT_EQ(m.event.source, "/micromax/test");
  EXPECT_EQ(m.event.subject, "order-1");
  EXPECT_EQ(m.event.time, e.time);
  EXPECT_EQ(m.event.traceparent, e.traceparent);
  EXPECT_EQ(m.event.extensions.at("tenant"), "acme");
  EXPECT_EQ(m.event.data.at("n").as_int64(), 1);
  EXPECT_EQ(m.topic, topic_);
  EXPECT_EQ(m.key, "order-1");
  EXPECT_EQ(m.attempt, 1);
}

TEST_P(BrokerSuite, AFailingHandlerIsRetriedUntilItSucceeds) {
  std::atomic<int> calls{0};
  Seen seen;
  std::string group = unique("g");
  loop_.spawn(broker_->consume(group, {topic_},
                               [&](const Message& m) -> asio::awaitable<void> {
                                 if (++calls < 3) throw std::runtime_error("transient");
                                 seen.add(m);
                                 co_return;
                               },
                               fast(5)));
  wait_subscribed(group);
  loop_.run(broker_->publish(topic_, "k", order_event(1)));
  ASSERT_TRUE(seen.wait_for_count(1));
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(seen.messages[0].attempt, 3);
  auto text = metrics_.render();
  EXPECT_NE(text.find("mmx_broker_retried_total{group="), std::string::npos);
  EXPECT_EQ(text.find("mmx_broker_dead_lettered_total{"), std::string::npos);
}

TEST_P(BrokerSuite, ExhaustedRetriesGoToTheDeadLetterTopicWithTheLastError) {
  std::atomic<int> calls{0};
  Seen dead;
  collect(unique("dlq-reader"), {topic_ + ".dlq"}, dead, fast());
  std::string group = unique("g");
  loop_.spawn(broker_->consume(group, {topic_},
                               [&](const Message&) -> asio::awaitable<void> {
                                 ++calls;
                                 throw std::runtime_error("card declined (attempt " +
                                                          std::to_string(calls.load()) + ")");
                                 co_return;
                               },
                               fast(3)));
  wait_subscribed(group);
  Event e = order_event(7);
  loop_.run(broker_->publish(topic_, "order-7", e));
  ASSERT_TRUE(dead.wait_for_count(1));
  const Message& d = dead.messages[0];
  EXPECT_EQ(d.event.id, e.id);
  EXPECT_EQ(d.event.type, "order.placed");
  EXPECT_EQ(d.key, "order-7");
  EXPECT_EQ(d.event.extensions.at("deadlettererror"), "card declined (attempt 3)");
  EXPECT_EQ(d.event.extensions.at("deadlettergroup"), group);
  EXPECT_EQ(d.event.extensions.at("deadletterattempts"), "3");
  EXPECT_EQ(calls.load(), 3);
  EXPECT_NE(metrics_.render().find("mmx_broker_dead_lettered_total{group=\"" + group + "\""),
            std::string::npos);
}

TEST_P(BrokerSuite, MalformedPayloadsAreDeadLetteredNotRetried) {
  Seen dead, good;
  collect(unique("dlq-reader"), {topic_ + ".dlq"}, dead, fast());
  collect(unique("g"), {topic_}, good, fast());
  std::vector<OutgoingMessage> raw{{topic_, "k", "this is not json"},
                                   {topic_, "k", serialize(order_event(2))}};
  broker_->backend().publish(raw);
  ASSERT_TRUE(dead.wait_for_count(1));
  ASSERT_TRUE(good.wait_for_count(1));
  EXPECT_EQ(dead.messages[0].event.type, "mmx.deadletter.unparseable");
  EXPECT_EQ(dead.messages[0].event.data.as_string(), "this is not json");
  EXPECT_NE(dead.messages[0].event.extensions.at("deadlettererror").find("malformed CloudEvent"),
            std::string::npos);
  EXPECT_EQ(good.messages[0].event.data.at("n").as_int64(), 2);
}

TEST_P(BrokerSuite, OrderPerKeyHoldsThroughRetries) {
  std::mutex mu;
  std::vector<int> order;
  std::atomic<bool> failed_once{false};
  Seen seen;
  std::string group = unique("g");
  loop_.spawn(broker_->consume(group, {topic_},
                               [&](const Message& m) -> asio::awaitable<void> {
                                 int n = static_cast<int>(m.event.data.at("n").as_int64());
                                 if (n == 2 && !failed_once.exchange(true))
                                   throw std::runtime_error("first try of 2 fails");
                                 {
                                   std::lock_guard lock(mu);
                                   order.push_back(n);
                                 }
                                 seen.add(m);
                                 co_return;
                               },
                               fast(5)));
  wait_subscribed(group);
  for (int i = 1; i <= 5; ++i) loop_.run(broker_->publish(topic_, "same-key", order_event(i)));
  ASSERT_TRUE(seen.wait_for_count(5));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST_P(BrokerSuite, PublishingChecksTheContractWhenAsked) {
  BrokerOptions o;
  o.name = "validating";
  o.validate = ContractRegistry().validator();
  Broker strict(make_backend(url_), o, nullptr);
  // order.placed's data must be an OrderEvent: {"n": 1} is not.
  try {
    loop_.run(strict.publish(topic_, "k", order_event(1)));
    FAIL() << "an event that breaks its contract was published";
  } catch (const EventError& e) {
    EXPECT_NE(std::string(e.what()).find("/data"), std::string::npos) << e.what();
  }
  Event undeclared = make_event("order.teleported", "/micromax/test", boost::json::object{});
  EXPECT_THROW(loop_.run(strict.publish(topic_, "k", undeclared)), EventError);
}

// --- outbox and idempotent consumer -------------------------------------------------------

class OutboxSuite : public BrokerSuite {
 protected:
  void SetUp() override {
    BrokerSuite::SetUp();
    if (IsSkipped()) return;
    db::DatabaseOptions o;
    o.name = "svc";
    auto pg = mmx::test::test_url("MMX_TEST_POSTGRES_URL");
    o.url = db::parse_database_url(pg ? *pg + "?schema=o" + unique("s").substr(2)
                                      : "sqlite:" + (dir_ / "svc.db").string());
    db_ = db::Database::open(o, workers_, &metrics_);
    db_->connect();
    OutboxOptions oo;
    oo.name = "svc";
    oo.idle_poll = 100ms;
    oo.max_backoff = 500ms;
    outbox_ = std::make_unique<Outbox>(db_, *broker_, oo, &metrics_);
    outbox_->ensure_schema();
    loop_.run(db_->execute("CREATE TABLE orders (id TEXT PRIMARY KEY, status TEXT NOT NULL)"));
  }

  asio::awaitable<void> place(int n, bool commit = true, std::string key = {}) {
    co_await db_->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
      std::string id = "order-" + std::to_string(n);
      co_await tx.execute("INSERT INTO orders (id, status) VALUES ($1, 'placed')", id);
      co_await outbox_->add(tx, topic_, key.empty() ? id : key, order_event(n));
      if (!commit) throw std::runtime_error("payment check failed");
    });
  }

  // A billing consumer whose effect is one invoice row per order, made idempotent.
  void consume_into_invoices(IdempotentConsumer& idem, Seen& calls) {
    idem.ensure_schema();
    loop_.run(db_->execute("CREATE TABLE invoices (order_id TEXT NOT NULL)"));
    std::string group = unique("g");
    loop_.spawn(broker_->consume(
        group, {topic_},
        idem.wrap([&calls](const Message& m, db::Transaction& tx) -> asio::awaitable<void> {
          co_await tx.execute("INSERT INTO invoices (order_id) VALUES ($1)", m.key);
          calls.add(m);
        }),
        fast()));
    wait_subscribed(group);
  }

  exec::WorkerPool workers_{2, 1024};
  std::shared_ptr<db::Database> db_;
  std::unique_ptr<Outbox> outbox_;
};

TEST_P(OutboxSuite, CommittedEventsArePublishedRolledBackOnesNever) {
  Seen seen;
  collect(unique("g"), {topic_}, seen, fast());
  loop_.spawn(outbox_->run_relay());
  loop_.run(place(1));
  EXPECT_THROW(loop_.run(place(2, false)), std::runtime_error);
  loop_.run(place(3));
  ASSERT_TRUE(seen.wait_for_count(2));
  // Two keys: no order between them (Kafka puts them on different partitions).
  std::set<std::int64_t> got{seen.messages[0].event.data.at("n").as_int64(),
                             seen.messages[1].event.data.at("n").as_int64()};
  EXPECT_EQ(got, (std::set<std::int64_t>{1, 3}));
  // A consumer may see an event before the broker confirms it to the relay (RabbitMQ does):
  // the row is marked sent a moment later.
  EXPECT_TRUE(wait_until([&] { return loop_.run(outbox_->pending()) == 0; }));
  EXPECT_FALSE(seen.wait_for_count(3, 1s)) << "the rolled-back event was published";
}

// Per key (the aggregate: here a customer), consumers see the outbox's commit order.
TEST_P(OutboxSuite, RelayPublishesInCommitOrderPerKey) {
  for (int i = 1; i <= 50; ++i) loop_.run(place(i, true, "customer-" + std::to_string(i % 3)));
  Seen seen;
  collect(unique("g"), {topic_}, seen, fast());
  EXPECT_EQ(loop_.run(outbox_->pending()), 50);
  loop_.spawn(outbox_->run_relay());
  ASSERT_TRUE(seen.wait_for_count(50));
  std::map<std::string, std::int64_t> last;
  for (const auto& m : seen.messages) {
    auto n = m.event.data.at("n").as_int64();
    EXPECT_LT(last[m.key], n) << m.key << " out of order";
    last[m.key] = n;
  }
  EXPECT_EQ(last.size(), 3u);
}

TEST_P(OutboxSuite, ARedeliveredEventHasOneEffect) {
  IdempotentConsumer idem(db_, "billing");
  Seen calls;
  consume_into_invoices(idem, calls);
  Event e = order_event(9);
  // The same event twice, as a relay that crashed after publishing would send it.
  loop_.run(broker_->publish(topic_, "order-9", e));
  loop_.run(broker_->publish(topic_, "order-9", e));
  loop_.run(broker_->publish(topic_, "order-10", order_event(10)));
  ASSERT_TRUE(calls.wait_for_count(2));
  // Wait until the duplicate was seen and skipped, then check the table.
  EXPECT_TRUE(wait_until([&] { return idem.duplicates() >= 1; }));
  EXPECT_EQ(idem.duplicates(), 1u);
  EXPECT_EQ(loop_.run(db_->fetch_value<std::int64_t>("SELECT count(*) FROM invoices")), 2);
  EXPECT_TRUE(loop_.run(idem.processed(e)));
}

TEST_P(OutboxSuite, AHandlerFailureLeavesNoProcessedRecord) {
  IdempotentConsumer idem(db_, "billing");
  idem.ensure_schema();
  std::atomic<int> calls{0};
  Seen done;
  std::string group = unique("g");
  loop_.spawn(broker_->consume(group, {topic_},
                               idem.wrap([&](const Message& m, db::Transaction&) -> asio::awaitable<void> {
                                 if (++calls == 1) throw std::runtime_error("first attempt fails");
                                 done.add(m);
                                 co_return;
                               }),
                               fast()));
  wait_subscribed(group);
  loop_.run(broker_->publish(topic_, "k", order_event(1)));
  ASSERT_TRUE(done.wait_for_count(1));
  EXPECT_EQ(calls.load(), 2) << "the retry was skipped as a duplicate";
}

// The broker goes away while the service keeps committing: events wait in the outbox and
// all arrive once it is back; the consumer's effects happen exactly once each.
TEST_P(OutboxSuite, BrokerOutageLosesNothing) {
  std::string server = GetParam().name == "amqp" ? "rabbitmq" : GetParam().name;
  if (server != "rabbitmq" && server != "redis") GTEST_SKIP() << "no server to stop for " << server;
  IdempotentConsumer idem(db_, "billing");
  Seen calls;
  consume_into_invoices(idem, calls);
  loop_.spawn(outbox_->run_relay());
  for (int i = 1; i <= 5; ++i) loop_.run(place(i));
  ASSERT_TRUE(calls.wait_for_count(5));

  mmx::test::server_control(server, "stop");
  for (int i = 6; i <= 25; ++i) loop_.run(place(i));  // commits succeed without the broker
  EXPECT_GT(loop_.run(outbox_->pending()), 0);
  mmx::test::server_control(server, "start");

  ASSERT_TRUE(calls.wait_for_count(25, 60s)) << "only " << calls.size() << " of 25 arrived";
  EXPECT_EQ(loop_.run(db_->fetch_value<std::int64_t>("SELECT count(*) FROM invoices")), 25);
  EXPECT_EQ(loop_.run(db_->fetch_value<std::int64_t>("SELECT count(DISTINCT order_id) FROM invoices")), 25);
  EXPECT_TRUE(wait_until([&] { return loop_.run(outbox_->pending()) == 0; }));
}

auto backend_name = [](const ::testing::TestParamInfo<BackendSpec>& p) { return p.param.name; };
INSTANTIATE_TEST_SUITE_P(Backends, BrokerSuite, ::testing::ValuesIn(mmx::test::backend_specs()), backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, OutboxSuite, ::testing::ValuesIn(mmx::test::backend_specs()), backend_name);

}  // namespace
}  // namespace mmx::broker
