#include "kafka_topics.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "mmx/log/log.hpp"

namespace mmx::broker::backends::kafka {
namespace {

using Kind = BrokerError::Kind;
using namespace std::chrono_literals;

int ms(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

struct NewTopicsDeleter {
  void operator()(std::vector<rd_kafka_NewTopic_t*>* v) const {
    rd_kafka_NewTopic_destroy_array(v->data(), v->size());
  }
};

}  // namespace

void TopicRegistry::ensure(rd_kafka_t* rk, const std::vector<std::string>& topics,
                           const std::function<void()>& check_reachable) {
  std::vector<std::string> missing;
  {
    std::lock_guard lock(mu_);
    for (const auto& t : topics)
      if (!known_.contains(t) && std::find(missing.begin(), missing.end(), t) == missing.end())
        missing.push_back(t);
  }
  if (missing.empty()) return;
  check_reachable();
  if (admin_support(rk) == Admin::supported) create(rk, missing);
  for (const auto& t : missing) await_metadata(rk, t);
  std::lock_guard lock(mu_);
  known_.insert(missing.begin(), missing.end());
}

// CreateTopics goes to the controller. librdkafka's mock cluster names a controller that
// is not one of its brokers and has no CreateTopics, so librdkafka would wait for it
// forever; there (and on any such cluster) topics are left to auto-creation, which the
// metadata request in await_metadata triggers.
TopicRegistry::Admin TopicRegistry::admin_support(rd_kafka_t* rk) {
  {
    std::lock_guard lock(mu_);
    if (admin_ != Admin::unknown) return admin_;
  }
  const struct rd_kafka_metadata* raw = nullptr;
  auto err = rd_kafka_metadata(rk, 0, nullptr, &raw, ms(settings_.timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw kafka_error(settings_, Kind::unavailable,
                      std::string("cannot read the cluster metadata: ") + rd_kafka_err2str(err));
  MetadataPtr md(raw);
  auto controller = rd_kafka_controllerid(rk, 0);
  bool reachable = std::any_of(md->brokers, md->brokers + md->broker_cnt,
                               [&](const auto& b) { return b.id == controller; });
  if (!reachable)
    mmx::log::info("broker",
                   "kafka: the cluster names no usable controller (librdkafka's mock cluster "
                   "does this); topics will be auto-created with the broker's partition count",
                   {{"controller", controller}});
  std::lock_guard lock(mu_);
  admin_ = reachable ? Admin::supported : Admin::unsupported;
  return admin_;
}

void TopicRegistry::create(rd_kafka_t* rk, const std::vector<std::string>& topics) {
  char err[512];
  std::vector<rd_kafka_NewTopic_t*> raw;
  std::unique_ptr<std::vector<rd_kafka_NewTopic_t*>, NewTopicsDeleter> guard(&raw);
  for (const auto& t : topics) {
    auto* nt = rd_kafka_NewTopic_new(t.c_str(), settings_.partitions, settings_.replication, err,
                                     sizeof err);
    if (!nt)
      throw kafka_error(settings_, Kind::rejected, "cannot create topic '" + t + "': " + err);
    raw.push_back(nt);
  }
  std::unique_ptr<rd_kafka_AdminOptions_t, Deleter<rd_kafka_AdminOptions_destroy>> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  // The operation timeout makes the broker answer only once the topics exist.
  rd_kafka_AdminOptions_set_request_timeout(options.get(), ms(settings_.timeout), err, sizeof err);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), ms(settings_.timeout), err,
                                              sizeof err);
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, raw.data(), raw.size(), options.get(), queue.get());
  EventPtr ev(rd_kafka_queue_poll(queue.get(), ms(settings_.timeout + 1s)));
  if (!ev) throw kafka_error(settings_, Kind::unavailable, "no answer to CreateTopics in time");
  if (auto e = rd_kafka_event_error(ev.get()))
    throw kafka_error(
        settings_, kind_of(e),
        std::string("cannot create topics: ") + rd_kafka_event_error_string(ev.get()));
  size_t n = 0;
  const auto* results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    auto e = rd_kafka_topic_result_error(results[i]);
    std::string name = rd_kafka_topic_result_name(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    const char* why = rd_kafka_topic_result_error_string(results[i]);
    if (kind_of(e) == Kind::authentication) {
      // Topics may be managed by the operators: use the topic if it exists.
      mmx::log::warn("broker", "kafka: not allowed to create topic; assuming it exists",
                     {{"topic", name}, {"reason", why ? why : ""}});
      continue;
    }
    throw kafka_error(settings_, kind_of(e),
                      "cannot create topic '" + name + "': " + (why ? why : rd_kafka_err2str(e)));
  }
}

void TopicRegistry::await_metadata(rd_kafka_t* rk, const std::string& topic) {
  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  TopicPtr handle(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  if (!handle)
    throw kafka_error(settings_, Kind::rejected,
                      "bad topic '" + topic + "': " + rd_kafka_err2str(rd_kafka_last_error()));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const struct rd_kafka_metadata* raw = nullptr;
    auto err = rd_kafka_metadata(rk, 0, handle.get(), &raw, std::max(ms(left), 1));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      MetadataPtr md(raw);
      err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topics[0].partition_cnt > 0) return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw kafka_error(settings_, kind_of(err),
                        "topic '" + topic + "' is not available: " + rd_kafka_err2str(err));
    }
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace mmx::broker::backends::kafka
