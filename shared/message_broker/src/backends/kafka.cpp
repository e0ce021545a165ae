// kafka://: librdkafka. publish() is an idempotent producer with acks=all that returns once
// every message of the batch has its delivery report; each subscription is a consumer
// group member on its own handle (kafka_consumer.cpp); topics are created on first use with
// the configured partition count (kafka_topics.cpp).
#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "backends.hpp"
#include "kafka_client.hpp"
#include "kafka_consumer.hpp"
#include "kafka_topics.hpp"
#include "mmx/log/log.hpp"

namespace mmx::broker::backends {
namespace kafka {
namespace {

using Kind = BrokerError::Kind;
using namespace std::chrono_literals;

int ms(std::chrono::steady_clock::duration d) {
  return static_cast<int>(
      std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

// The outcome of one publish() call, filled in by the delivery reports. A report can
// arrive after publish() gave up waiting, so the batch is reference-counted: one reference
// for the caller and one per message librdkafka holds.
class Batch {
 public:
  void hold() {
    refs_.fetch_add(1, std::memory_order_relaxed);
    pending_.fetch_add(1, std::memory_order_relaxed);
  }
  void unhold() {  // producev refused the message: no report will come
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    release();
  }
  void report(rd_kafka_resp_err_t err, const rd_kafka_message_t& m) {
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::lock_guard lock(mu_);
      if (err_ == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err_ = err;
        why_ = std::string("message to '") + rd_kafka_topic_name(m.rkt) +
               "' failed: " + rd_kafka_err2str(err);
      }
    }
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    release();
  }
  void release() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  int pending() const { return pending_.load(std::memory_order_acquire); }
  std::pair<rd_kafka_resp_err_t, std::string> error() {
    std::lock_guard lock(mu_);
    return {err_, why_};
  }

 private:
  std::atomic<int> refs_{1};
  std::atomic<int> pending_{0};
  std::mutex mu_;
  rd_kafka_resp_err_t err_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string why_;
};

struct BatchRelease {
  void operator()(Batch* b) const { b->release(); }
};

class Producer {
 public:
  explicit Producer(const KafkaSettings& s) {
    auto conf = base_conf(s);
    auto* c = conf.get();
    // Retried produce requests are deduplicated by the broker, and per-partition order
    // survives retries; acks=all waits for the in-sync replicas.
    set(c, s, "enable.idempotence", "true");
    set(c, s, "acks", "all");
    set(c, s, "linger.ms", std::to_string(s.linger_ms));
    // Every message gets its delivery report within this, so publish() is bounded; a
    // produce request that got no answer in half of it is retried once in time (the
    // broker drops the duplicate by sequence number).
    set(c, s, "message.timeout.ms", std::to_string(s.timeout.count()));
    auto request = std::to_string(std::max<long long>(1000, s.timeout.count() / 2));
    set(c, s, "socket.timeout.ms", request);
    set(c, s, "request.timeout.ms", request);
    // Same key, same partition as the Java client computes it (interoperable producers).
    set(c, s, "partitioner", "murmur2_random");
    rd_kafka_conf_set_dr_msg_cb(c, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
      static_cast<Batch*>(m->_private)->report(m->err, *m);
    });
    rd_kafka_conf_set_error_cb(c, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
      static_cast<Health*>(opaque)->on_error(static_cast<rd_kafka_resp_err_t>(err), reason);
    });
    rd_kafka_conf_set_opaque(c, &health_);
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk_)
      throw kafka_error(s, Kind::configuration, std::string("cannot create producer: ") + err);
    (void)conf.release();  // rd_kafka_new took it
  }
  ~Producer() {
    // Only messages publish() gave up on can be left; their reports free their batches.
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_, 500);
    rd_kafka_destroy(rk_);
  }
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  rd_kafka_t* handle() const { return rk_; }
  Health& health() { return health_; }
  void serve() { rd_kafka_poll(rk_, 0); }

 private:
  rd_kafka_t* rk_ = nullptr;
  Health health_;
};

class KafkaBackend final : public Backend {
 public:
  explicit KafkaBackend(KafkaSettings settings)
      : settings_(std::move(settings)),
        topics_(settings_),
        producer_(std::make_shared<Producer>(settings_)) {}

  std::string name() const override { return "kafka"; }

  void publish(std::span<const OutgoingMessage> batch) override {
    if (batch.empty()) return;
    std::lock_guard serial(publish_mu_);  // one batch at a time: flush() waits for all
    auto p = producer();
    std::vector<std::string> topics;
    for (const auto& m : batch)
      if (std::find(topics.begin(), topics.end(), m.topic) == topics.end())
        topics.push_back(m.topic);
    ensure_topics(*p, topics);
    // Known outage: fail in a moment instead of after message.timeout.ms.
    if (p->health().all_down())
      check_reachable(*p, std::min<std::chrono::milliseconds>(settings_.timeout, 1500ms),
                      "publish failed");
    produce_and_wait(*p, batch);
  }

  std::unique_ptr<Consumer> subscribe(const std::string& group,
                                      const std::vector<std::string>& topics,
                                      const ConsumerOptions& options) override {
    // The subscription must see the topics' partitions when the group first assigns them.
    ensure_topics(*producer(), topics);
    return std::make_unique<KafkaConsumer>(settings_, group, topics, options);
  }

  void ping() override { check_reachable(*producer(), settings_.timeout, "unreachable"); }

 private:
  void check_reachable(Producer& p, std::chrono::milliseconds timeout, const std::string& what) {
    auto why = probe(p.handle(), p.health(), timeout, [&] { p.serve(); });
    if (!why.empty()) throw kafka_error(settings_, Kind::unavailable, what + ": " + why);
  }

  void ensure_topics(Producer& p, const std::vector<std::string>& topics) {
    topics_.ensure(p.handle(), topics,
                   [&] { check_reachable(p, settings_.timeout, "cannot create topics"); });
  }

  std::shared_ptr<Producer> producer() {
    std::lock_guard lock(producer_mu_);
    if (!producer_) producer_ = std::make_shared<Producer>(settings_);
    return producer_;
  }

  void produce_and_wait(Producer& p, std::span<const OutgoingMessage> batch) {
    rd_kafka_t* rk = p.handle();
    const auto start = std::chrono::steady_clock::now();
    // message.timeout.ms bounds every report; the slack covers librdkafka's 1 s timeout scan.
    const auto deadline = start + settings_.timeout + 2s;
    std::unique_ptr<Batch, BatchRelease> b(new Batch);
    for (const auto& m : batch) {
      for (;;) {
        b->hold();
        // An empty key means no ordering: let the partitioner spread those.
        auto err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(m.topic.c_str()),
            RD_KAFKA_V_KEY(m.key.empty() ? nullptr : m.key.data(), m.key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(m.payload.data()), m.payload.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(b.get()), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        b->unhold();
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::chrono::steady_clock::now() < deadline) {
          rd_kafka_poll(rk, 20);  // reports free queue space
          continue;
        }
        check_fatal(p);
        throw kafka_error(settings_, kind_of(err),
                          "publish to '" + m.topic + "' failed: " + rd_kafka_err2str(err));
      }
    }
    rd_kafka_flush(rk, ms(deadline - std::chrono::steady_clock::now()));
    check_fatal(p);
    if (int left = b->pending(); left > 0) {
      std::string why = std::to_string(left) + " of " + std::to_string(batch.size()) +
                        " messages unconfirmed after " +
                        std::to_string(ms(std::chrono::steady_clock::now() - start)) + " ms";
      if (p.health().all_down()) why += " (" + p.health().reason() + ")";
      throw kafka_error(settings_, Kind::unavailable, "publish failed: " + why);
    }
    if (auto [err, why] = b->error(); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      auto kind = kind_of(err);
      if (err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT && p.health().all_down())
        why += " (" + p.health().reason() + ")";
      throw kafka_error(settings_, kind, "publish failed: " + why);
    }
    p.health().mark_up();
  }

  // A fatal error (e.g. the idempotent producer lost its sequence) leaves the handle
  // unusable: drop it so that the next call gets a fresh producer.
  void check_fatal(Producer& p) {
    char why[512];
    auto err = rd_kafka_fatal_error(p.handle(), why, sizeof why);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    mmx::log::error("broker", "kafka producer fatal error; recreating it",
                    {{"error", rd_kafka_err2name(err)}, {"reason", why}});
    {
      std::lock_guard lock(producer_mu_);
      if (producer_.get() == &p) producer_.reset();
    }
    throw kafka_error(settings_, kind_of(err),
                      std::string("publish failed: producer fatal error: ") + why);
  }

  KafkaSettings settings_;
  TopicRegistry topics_;
  std::mutex publish_mu_;
  std::mutex producer_mu_;
  std::shared_ptr<Producer> producer_;
};

}  // namespace
}  // namespace kafka

std::unique_ptr<Backend> make_kafka(const std::string& url) {
  return std::make_unique<kafka::KafkaBackend>(kafka::parse_kafka_url(url));
}

}  // namespace mmx::broker::backends
