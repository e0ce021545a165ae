#include "kafka_consumer.hpp"

#include <algorithm>
#include <charconv>

#include "mmx/log/log.hpp"

namespace mmx::broker::backends::kafka {
namespace {

using Kind = BrokerError::Kind;
using namespace std::chrono_literals;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, Deleter<rd_kafka_message_destroy>>;

int ms(std::chrono::milliseconds d) { return static_cast<int>(std::max<long long>(0, d.count())); }

// Kafka's session timeout is what ConsumerOptions::stuck_after means: how long a silent
// member keeps its partitions. Brokers refuse less than 6 s (group.min.session.timeout.ms).
int session_timeout_ms(const KafkaSettings& s, const ConsumerOptions& o) {
  if (s.session_timeout_ms > 0) return s.session_timeout_ms;
  return static_cast<int>(std::clamp<long long>(o.stuck_after.count(), 6000, 300000));
}

// The partition travels in token_text, the offset in token.
std::int32_t partition_of(const KafkaSettings& s, const Delivery& d) {
  const char* begin = d.token_text.data();
  const char* end = begin + d.token_text.size();
  std::int32_t p = -1;
  auto [stop, ec] = std::from_chars(begin, end, p);
  if (ec != std::errc{} || stop != end || p < 0)
    throw kafka_error(s, Kind::rejected, "not a Kafka delivery (token '" + d.token_text + "')");
  return p;
}

}  // namespace

KafkaConsumer::KafkaConsumer(const KafkaSettings& settings, const std::string& group,
                             const std::vector<std::string>& topics, const ConsumerOptions& options)
    : settings_(settings), group_(group) {
  if (group.empty()) throw kafka_error(settings_, Kind::configuration, "empty consumer group");
  if (topics.empty()) throw kafka_error(settings_, Kind::configuration, "no topics to consume");
  auto conf = base_conf(settings_);
  auto* c = conf.get();
  set(c, settings_, "group.id", group);
  // Offsets are committed explicitly, and only for acknowledged deliveries.
  set(c, settings_, "enable.auto.commit", "false");
  set(c, settings_, "enable.auto.offset.store", "false");
  // A new group starts at the beginning of each partition: the only choice that cannot
  // miss what is published between subscribe() and the group's first assignment (seconds
  // later). The price: a new group also receives what the topic retained from before.
  set(c, settings_, "auto.offset.reset", "earliest");
  int session = session_timeout_ms(settings_, options);
  set(c, settings_, "session.timeout.ms", std::to_string(session));
  set(c, settings_, "heartbeat.interval.ms", std::to_string(std::clamp(session / 5, 100, 3000)));
  // A broker that stopped answering without closing the connection is noticed in time.
  set(c, settings_, "socket.timeout.ms",
      std::to_string(std::max<long long>(10000, 2 * settings_.timeout.count())));
  // Bounds the prefetch per member (default 64 MiB); a handler works through `batch` at once.
  set(c, settings_, "queued.max.messages.kbytes", "16384");
  rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
  rd_kafka_conf_set_error_cb(c, error_cb);
  rd_kafka_conf_set_offset_commit_cb(c, commit_cb);
  rd_kafka_conf_set_opaque(c, this);

  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  if (!rk_)
    throw kafka_error(settings_, Kind::configuration,
                      std::string("cannot create consumer: ") + err);
  (void)conf.release();  // rd_kafka_new took it
  rd_kafka_poll_set_consumer(rk_);

  PartitionsPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics)
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto e = rd_kafka_subscribe(rk_, list.get())) {
    rd_kafka_destroy(rk_);
    throw kafka_error(settings_, kind_of(e),
                      "group '" + group + "' cannot subscribe: " + rd_kafka_err2str(e));
  }
}

KafkaConsumer::~KafkaConsumer() {
  // Both steps wait for the cluster; together they take at most twice the timeout.
  commit_and_wait("close");
  close();
}

std::vector<Delivery> KafkaConsumer::poll(std::size_t max, std::chrono::milliseconds wait) {
  std::vector<Delivery> out;
  if (max == 0) return out;
  if (failed_) {
    auto e = std::move(*failed_);
    failed_.reset();
    throw e;
  }
  if (dirty_) {
    // Asynchronous: the answer comes to commit_cb during this poll or the next. A crash
    // before it lands redelivers the last batch, which at-least-once allows.
    rd_kafka_commit(rk_, nullptr, 1);
    dirty_ = false;
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (out.size() < max) {
    int timeout = 0;  // once something arrived, take only what is already fetched
    if (out.empty()) {
      timeout = ms(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (timeout <= 0) break;
    }
    MessagePtr m(rd_kafka_consumer_poll(rk_, timeout));
    if (!m) {
      if (out.empty()) continue;
      break;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.push_back(to_delivery(*m));
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    auto kind = kind_of(m->err);
    std::string why = rd_kafka_message_errstr(m.get());
    if (kind != Kind::unavailable) {
      auto e = kafka_error(settings_, kind, "group '" + group_ + "' cannot consume: " + why);
      if (out.empty()) throw e;
      failed_ = std::move(e);  // first hand over what was consumed before it
      break;
    }
    mmx::log::warn("broker", "kafka consumer error",
                   {{"group", group_}, {"error", rd_kafka_err2name(m->err)}, {"reason", why}});
  }
  if (out.empty() && health_.all_down()) {
    auto why =
        probe(rk_, health_, std::min<std::chrono::milliseconds>(settings_.timeout, 1s), [] {});
    if (!why.empty())
      throw kafka_error(settings_, Kind::unavailable,
                        "group '" + group_ + "' cannot consume: " + why);
  }
  return out;
}

Delivery KafkaConsumer::to_delivery(const rd_kafka_message_t& m) {
  Delivery d;
  d.topic = rd_kafka_topic_name(m.rkt);
  if (m.key) d.key.assign(static_cast<const char*>(m.key), m.key_len);
  if (m.payload) d.payload.assign(static_cast<const char*>(m.payload), m.len);
  d.attempt = 1;  // Kafka keeps no delivery count
  d.token = static_cast<std::uint64_t>(m.offset);
  d.token_text = std::to_string(m.partition);
  std::int64_t low = 0, high = 0;  // cached from fetch responses: no network round trip
  if (rd_kafka_get_watermark_offsets(rk_, d.topic.c_str(), m.partition, &low, &high) ==
          RD_KAFKA_RESP_ERR_NO_ERROR &&
      high >= 0)
    d.lag = std::max<std::int64_t>(0, high - m.offset - 1);
  rd_kafka_timestamp_type_t type;
  auto ts = rd_kafka_message_timestamp(&m, &type);
  if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0)
    d.published = std::chrono::system_clock::time_point(std::chrono::milliseconds(ts));
  if (released_ > 0) {
    auto it = partitions_.find({d.topic, m.partition});
    if (it != partitions_.end() && it->second.floor >= 0 && m.offset <= it->second.floor) {
      it->second.floor = -1;  // the rewind took effect: deliveries are in order again
      --released_;
    }
  }
  return d;
}

void KafkaConsumer::ack(const Delivery& d) {
  Key key{d.topic, partition_of(settings_, d)};
  auto& p = partitions_[key];
  auto next = static_cast<std::int64_t>(d.token) + 1;
  if (p.floor >= 0) next = std::min(next, p.floor);
  if (next > p.stored) store(key, p, next);
}

void KafkaConsumer::release(const Delivery& d) {
  Key key{d.topic, partition_of(settings_, d)};
  auto& p = partitions_[key];
  auto offset = static_cast<std::int64_t>(d.token);
  if (p.floor >= 0 && offset >= p.floor) return;  // already rewound to before it
  if (p.floor < 0) ++released_;
  p.floor = offset;
  if (p.stored > offset) store(key, p, offset);
  PartitionsPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), key.first.c_str(), key.second)->offset = offset;
  if (auto* e = rd_kafka_seek_partitions(rk_, list.get(), ms(settings_.timeout))) {
    // Revoked meanwhile: its next owner starts from the committed offset, at most this one.
    mmx::log::warn("broker", "kafka: cannot rewind a released delivery",
                   {{"group", group_}, {"topic", d.topic}, {"reason", rd_kafka_error_string(e)}});
    rd_kafka_error_destroy(e);
  } else if (list->elems[0].err) {
    mmx::log::warn(
        "broker", "kafka: cannot rewind a released delivery",
        {{"group", group_}, {"topic", d.topic}, {"reason", rd_kafka_err2str(list->elems[0].err)}});
  }
}

void KafkaConsumer::store(const Key& key, Partition& p, std::int64_t offset) {
  PartitionsPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), key.first.c_str(), key.second)->offset = offset;
  // Fails for a partition no longer assigned: its new owner delivers the message again.
  if (rd_kafka_offsets_store(rk_, list.get()) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      list->elems[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    p.stored = offset;
    dirty_ = true;
  }
}

void KafkaConsumer::commit_and_wait(const char* why) {
  QueuePtr queue(rd_kafka_queue_new(rk_));
  auto err = rd_kafka_commit_queue(rk_, nullptr, queue.get(), nullptr, nullptr);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    EventPtr ev(rd_kafka_queue_poll(queue.get(), ms(settings_.timeout)));
    err = ev ? rd_kafka_event_error(ev.get()) : RD_KAFKA_RESP_ERR__TIMED_OUT;
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
    dirty_ = false;
    return;
  }
  mmx::log::warn("broker", "kafka: offset commit failed; acknowledged deliveries may come again",
                 {{"group", group_}, {"when", why}, {"error", rd_kafka_err2str(err)}});
}

// Leaves the group (its partitions go to the other members at once) within the timeout;
// past it the handle is destroyed anyway and the broker expires the member later.
void KafkaConsumer::close() {
  closing_ = true;
  bool closed = false;
  {
    QueuePtr queue(rd_kafka_queue_new(rk_));
    if (auto* e = rd_kafka_consumer_close_queue(rk_, queue.get())) {
      rd_kafka_error_destroy(e);
    } else {
      auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
      // Events, not callbacks: this queue also gets ops that have no callback (consumer
      // errors), which rd_kafka_queue_poll_callback() cannot serve.
      while (!(closed = rd_kafka_consumer_closed(rk_)) &&
             std::chrono::steady_clock::now() < deadline) {
        EventPtr ev(rd_kafka_queue_poll(queue.get(), 100));
        if (ev && rd_kafka_event_type(ev.get()) == RD_KAFKA_EVENT_REBALANCE)
          on_rebalance(rd_kafka_event_error(ev.get()),
                       rd_kafka_event_topic_partition_list(ev.get()));
      }
    }
  }
  rd_kafka_destroy_flags(rk_, closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  rk_ = nullptr;
}

void KafkaConsumer::rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<KafkaConsumer*>(opaque)->on_rebalance(err, parts);
}

void KafkaConsumer::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    mmx::log::debug("broker", "kafka: partitions assigned",
                    {{"group", group_}, {"partitions", parts->cnt}});
    rd_kafka_assign(rk_, parts);
    return;
  }
  // Revoked (or a rebalance error): hand over what was acknowledged before the next owner
  // reads the committed offsets, unless the group already gave the partitions away.
  // (Closing: the destructor committed already.)
  if (!closing_ && !rd_kafka_assignment_lost(rk_)) commit_and_wait("rebalance");
  partitions_.clear();
  released_ = 0;
  rd_kafka_assign(rk_, nullptr);
}

void KafkaConsumer::error_cb(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaConsumer*>(opaque)->health_.on_error(static_cast<rd_kafka_resp_err_t>(err),
                                                        reason);
}

void KafkaConsumer::commit_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t*, void* opaque) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  auto* self = static_cast<KafkaConsumer*>(opaque);
  self->dirty_ = true;  // the stored offsets are still there: the next poll commits again
  mmx::log::warn("broker", "kafka: offset commit failed; will retry",
                 {{"group", self->group_}, {"error", rd_kafka_err2str(err)}});
}

}  // namespace mmx::broker::backends::kafka
