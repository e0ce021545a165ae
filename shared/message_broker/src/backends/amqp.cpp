// amqp:// — RabbitMQ over rabbitmq-c. Topology, per exchange name E (default "micromax"):
//   E          durable topic exchange; a message's routing key is its topic
//   <group>    durable queue per consumer group, bound to E with each of its topics;
//              x-dead-letter-exchange E.dlx, x-dead-letter-routing-key <group>
//   E.dlx      durable direct exchange for what a consumer rejects without requeue
//   <group>.dead-letter  durable queue bound to E.dlx with key <group>
// Publishing uses publisher confirms; consuming uses basic.consume with prefetch and
// manual acks. The publisher and every consumer have their own connection, each used by
// one thread at a time.
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>

#include "amqp_connection.hpp"
#include "backends.hpp"
#include "mmx/redis/reconnect_gate.hpp"

namespace mmx::broker::backends {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = BrokerError::Kind;
constexpr amqp_channel_t channel = AmqpConnection::channel;

// Delivery tags are per channel, so a token carries the connection generation that issued
// it: an ack for a delivery of a dropped connection must not hit the new one.
constexpr int generation_shift = 40;
constexpr std::uint64_t tag_mask = (std::uint64_t{1} << generation_shift) - 1;

constexpr const char* key_header = "mmx-key";
constexpr const char* published_ms_header = "mmx-ts";
constexpr std::size_t max_short_string = 255;  // AMQP shortstr: routing keys, queue names

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                  std::chrono::milliseconds(0));
}

bool integer_field(const amqp_field_value_t& v, std::int64_t& out) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_I8: out = v.value.i8; return true;
    case AMQP_FIELD_KIND_U8: out = v.value.u8; return true;
    case AMQP_FIELD_KIND_I16: out = v.value.i16; return true;
    case AMQP_FIELD_KIND_U16: out = v.value.u16; return true;
    case AMQP_FIELD_KIND_I32: out = v.value.i32; return true;
    case AMQP_FIELD_KIND_U32: out = v.value.u32; return true;
    case AMQP_FIELD_KIND_I64: out = v.value.i64; return true;
    case AMQP_FIELD_KIND_U64: out = static_cast<std::int64_t>(v.value.u64); return true;
    default: return false;
  }
}

class AmqpConsumer final : public Consumer {
 public:
  AmqpConsumer(const AmqpConfig& config, const std::string& group,
               const std::vector<std::string>& topics, const ConsumerOptions& options)
      : config_(config),
        group_(group),
        topics_(topics),
        prefetch_(static_cast<std::uint16_t>(std::clamp<std::size_t>(options.batch, 1, 65535))) {
    // Declares and binds the group's queue now: from here on the group keeps what is
    // published to its topics, polled or not.
    connect();
  }

  std::vector<Delivery> poll(std::size_t max, std::chrono::milliseconds wait) override {
    if (max == 0) return {};
    auto deadline = Clock::now() + wait;
    for (int attempt = 0;; ++attempt) {
      bool fresh = ensure_connected();
      try {
        return receive(max, deadline);
      } catch (const BrokerError& e) {
        // A connection that sat unpolled may have been closed by the server meanwhile
        // (missed heartbeats while the handler ran): one immediate retry on a new one.
        if (e.kind() != Kind::unavailable || !conn_->broken() || fresh || attempt > 0) throw;
      }
    }
  }

  void ack(const Delivery& d) override {
    if (!current(d))
      throw error(Kind::unavailable,
                  "cannot acknowledge a delivery of a lost connection; RabbitMQ redelivers it");
    int status = amqp_basic_ack(conn_->get(), channel, d.token & tag_mask, /*multiple=*/0);
    if (status != AMQP_STATUS_OK) throw conn_->lost("acknowledging on queue '" + group_ + "'", status);
  }

  void release(const Delivery& d) override {
    // A delivery of a lost connection is back in the queue already.
    if (!current(d)) return;
    // requeue=true: RabbitMQ puts it back at its original position in the queue.
    int status = amqp_basic_reject(conn_->get(), channel, d.token & tag_mask, /*requeue=*/1);
    if (status != AMQP_STATUS_OK) conn_->lost("releasing", status);  // requeued on close anyway
  }

 private:
  // Waits until `deadline` for the first delivery, then takes what has already arrived.
  std::vector<Delivery> receive(std::size_t max, Clock::time_point deadline) {
    std::vector<Delivery> out;
    amqp_connection_state_t c = conn_->get();
    while (out.size() < max) {
      timeval tv = out.empty() ? to_timeval(remaining(deadline)) : timeval{0, 0};
      amqp_maybe_release_buffers(c);
      amqp_envelope_t envelope;
      amqp_rpc_reply_t reply = amqp_consume_message(c, &envelope, &tv, 0);
      if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
        out.push_back(to_delivery(envelope));
        amqp_destroy_envelope(&envelope);
        continue;
      }
      if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          reply.library_error == AMQP_STATUS_TIMEOUT)
        break;
      if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        // Some other method arrived (connection.close on a server shutdown, basic.cancel
        // when the queue was deleted, connection.blocked): it is next in the buffer.
        amqp_frame_t frame;
        int status = amqp_simple_wait_frame(c, &frame);
        if (status != AMQP_STATUS_OK) throw conn_->lost("receiving from queue '" + group_ + "'", status);
        conn_->handle_async_frame(frame);
        continue;
      }
      // Deliveries already in `out` came over the connection now lost: RabbitMQ requeues
      // them, so dropping them here loses nothing.
      conn_->check_reply(reply, "receiving from queue '" + group_ + "'");
    }
    return out;
  }

  void connect() {
    auto c = std::make_unique<AmqpConnection>(config_, "consumer " + group_);
    const std::string dlx = config_.exchange + ".dlx";
    const std::string dead_letter = group_ + ".dead-letter";
    std::vector<std::pair<std::string, std::string>> type;
    if (config_.queue_type == "quorum") type.emplace_back("x-queue-type", "quorum");
    c->declare_exchange(config_.exchange, "topic");
    c->declare_exchange(dlx, "direct");
    c->declare_queue(dead_letter, type);
    c->bind_queue(dead_letter, dlx, group_);
    auto args = type;
    args.emplace_back("x-dead-letter-exchange", dlx);
    args.emplace_back("x-dead-letter-routing-key", group_);
    c->declare_queue(group_, args);
    for (const auto& topic : topics_) c->bind_queue(group_, config_.exchange, topic);
    amqp_basic_qos(c->get(), channel, 0, prefetch_, /*global=*/0);
    c->check_rpc("setting the prefetch");
    amqp_basic_consume(c->get(), channel, to_bytes(group_), amqp_empty_bytes, /*no_local=*/0,
                       /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
    c->check_rpc("consuming from queue '" + group_ + "'");
    conn_ = std::move(c);
    ++generation_;
  }

  // True when this call made a new connection.
  bool ensure_connected() {
    if (conn_ && !conn_->broken()) return false;
    conn_.reset();
    gate_.wait();
    try {
      connect();
      gate_.succeeded();
      return true;
    } catch (const BrokerError&) {
      gate_.failed();
      throw;
    }
  }

  bool current(const Delivery& d) const {
    return conn_ && !conn_->broken() && (d.token >> generation_shift) == generation_;
  }

  BrokerError error(Kind kind, const std::string& what) const {
    return BrokerError(kind, "RabbitMQ at " + config_.redacted_url + ": " + what);
  }

  Delivery to_delivery(const amqp_envelope_t& envelope) const {
    Delivery d;
    d.topic = to_string(envelope.routing_key);
    d.payload = to_string(envelope.message.body);
    // Classic queues only say "delivered before" (possibly to a member that died before
    // even looking at it); quorum queues count returns in x-delivery-count.
    d.attempt = envelope.redelivered ? 2 : 1;
    d.token = (generation_ << generation_shift) | (envelope.delivery_tag & tag_mask);
    const amqp_basic_properties_t& props = envelope.message.properties;
    bool have_ms = false;
    if (props._flags & AMQP_BASIC_HEADERS_FLAG) {
      for (int i = 0; i < props.headers.num_entries; ++i) {
        const amqp_table_entry_t& e = props.headers.entries[i];
        std::string_view name(static_cast<const char*>(e.key.bytes), e.key.len);
        std::int64_t n = 0;
        if (name == key_header &&
            (e.value.kind == AMQP_FIELD_KIND_UTF8 || e.value.kind == AMQP_FIELD_KIND_BYTES)) {
          d.key = to_string(e.value.value.bytes);
        } else if (name == published_ms_header && integer_field(e.value, n)) {
          d.published = std::chrono::system_clock::time_point(std::chrono::milliseconds(n));
          have_ms = true;
        } else if (name == "x-delivery-count" && integer_field(e.value, n)) {
          d.attempt = std::max(d.attempt, static_cast<int>(std::min<std::int64_t>(n, 1 << 30)) + 1);
        }
      }
    }
    if (!have_ms && (props._flags & AMQP_BASIC_TIMESTAMP_FLAG))
      d.published = std::chrono::system_clock::time_point(
          std::chrono::seconds(static_cast<std::int64_t>(props.timestamp)));
    return d;
  }

  AmqpConfig config_;
  std::string group_;
  std::vector<std::string> topics_;
  std::uint16_t prefetch_;
  std::unique_ptr<AmqpConnection> conn_;
  std::uint64_t generation_ = 0;
  redis::ReconnectGate gate_;
};

class AmqpBackend final : public Backend {
 public:
  explicit AmqpBackend(AmqpConfig config) : config_(std::move(config)) {}

  std::string name() const override { return "amqp"; }

  void publish(std::span<const OutgoingMessage> batch) override {
    if (batch.empty()) return;
    for (const auto& m : batch)
      if (m.topic.empty() || m.topic.size() > max_short_string)
        throw error(Kind::rejected, "topic '" + m.topic.substr(0, 64) + "' must be 1-255 bytes");
    std::lock_guard lock(mu_);
    for (int attempt = 0;; ++attempt) {
      bool fresh = ensure_connected();
      try {
        publish_on(batch);
        return;
      } catch (const BrokerError& e) {
        if (e.kind() != Kind::unavailable || !conn_->broken()) throw;
        conn_.reset();
        // A connection that was fine before this call may have died unnoticed since
        // (server restart between two polls of its socket): one retry on a new one.
        // Duplicates are possible either way (at-least-once); consumers deduplicate.
        if (fresh || attempt > 0) throw;
      }
    }
  }

  std::unique_ptr<Consumer> subscribe(const std::string& group, const std::vector<std::string>& topics,
                                      const ConsumerOptions& options) override {
    // "<group>.dead-letter" must fit a shortstr too.
    if (group.empty() || group.size() > max_short_string - 12)
      throw error(Kind::configuration, "group name must be 1-243 bytes");
    if (topics.empty()) throw error(Kind::configuration, "subscribe needs at least one topic");
    for (const auto& t : topics) {
      if (t.empty() || t.size() > max_short_string)
        throw error(Kind::configuration, "topic '" + t.substr(0, 64) + "' must be 1-255 bytes");
      // The binding key would be a pattern: "#" alone would subscribe to every topic.
      if (t.find_first_of("*#") != std::string::npos)
        throw error(Kind::configuration, "topic '" + t + "' contains a wildcard (* or #)");
    }
    return std::make_unique<AmqpConsumer>(config_, group, topics, options);
  }

  void ping() override {
    std::lock_guard lock(mu_);
    if (ensure_connected()) return;
    // A round trip, so that a server that stopped answering (but whose socket is still
    // open) shows here too; bounded by io_timeout.
    amqp_exchange_declare(conn_->get(), channel, to_bytes(config_.exchange), amqp_cstring_bytes("topic"),
                          /*passive=*/1, 0, 0, 0, amqp_empty_table);
    conn_->check_rpc("checking exchange '" + config_.exchange + "'");
  }

 private:
  BrokerError error(Kind kind, const std::string& what) const {
    return BrokerError(kind, "RabbitMQ at " + config_.redacted_url + ": " + what);
  }

  // True when this call made a new connection.
  bool ensure_connected() {
    if (conn_ && conn_->alive()) return false;
    conn_.reset();
    gate_.wait();
    try {
      auto c = std::make_unique<AmqpConnection>(config_, "publisher");
      c->declare_exchange(config_.exchange, "topic");
      amqp_confirm_select(c->get(), channel);
      c->check_rpc("enabling publisher confirms");
      conn_ = std::move(c);
      next_tag_ = 1;
      gate_.succeeded();
      return true;
    } catch (const BrokerError&) {
      gate_.failed();
      throw;
    }
  }

  void publish_on(std::span<const OutgoingMessage> batch) {
    amqp_connection_state_t c = conn_->get();
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    amqp_table_entry_t headers[2];
    headers[0].key = amqp_cstring_bytes(key_header);
    headers[0].value.kind = AMQP_FIELD_KIND_UTF8;
    headers[1].key = amqp_cstring_bytes(published_ms_header);
    headers[1].value.kind = AMQP_FIELD_KIND_I64;
    headers[1].value.value.i64 = now_ms;
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                   AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
    props.content_type = amqp_cstring_bytes("application/cloudevents+json");
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.timestamp = static_cast<std::uint64_t>(now_ms / 1000);
    props.headers = amqp_table_t{2, headers};

    const std::uint64_t first = next_tag_;
    for (const auto& m : batch) {
      headers[0].value.value.bytes = to_bytes(m.key);
      // mandatory=false: a topic nobody subscribed to yet is normal, not an error.
      int status = amqp_basic_publish(c, channel, to_bytes(config_.exchange), to_bytes(m.topic),
                                      /*mandatory=*/0, /*immediate=*/0, &props, to_bytes(m.payload));
      if (status != AMQP_STATUS_OK) throw conn_->lost("publishing to '" + m.topic + "'", status);
      ++next_tag_;
    }
    wait_confirms(first, next_tag_ - 1);
  }

  // Waits for basic.ack (or nack) of every delivery tag in [first, last].
  void wait_confirms(std::uint64_t first, std::uint64_t last) {
    amqp_connection_state_t c = conn_->get();
    const std::size_t n = last - first + 1;
    std::vector<bool> settled(n);
    std::size_t pending = n, nacked = 0;
    std::uint64_t low = first;  // every tag below is settled
    auto settle = [&](std::uint64_t tag, bool multiple, bool nack) {
      std::uint64_t from = multiple ? low : tag, to = std::min(tag, last);
      for (std::uint64_t t = std::max(from, first); t <= to; ++t) {
        if (settled[t - first]) continue;
        settled[t - first] = true;
        --pending;
        nacked += nack;
      }
      while (low <= last && settled[low - first]) ++low;
    };
    auto deadline = Clock::now() + config_.io_timeout;
    while (pending > 0) {
      if (Clock::now() >= deadline)
        throw conn_->lost("no publisher confirm for " + std::to_string(pending) + " of " +
                              std::to_string(n) + " messages within " +
                              std::to_string(config_.io_timeout.count()) + "ms",
                          AMQP_STATUS_OK);
      amqp_frame_t frame;
      timeval tv = to_timeval(remaining(deadline));
      int status = amqp_simple_wait_frame_noblock(c, &frame, &tv);
      if (status == AMQP_STATUS_TIMEOUT) continue;
      if (status != AMQP_STATUS_OK) throw conn_->lost("waiting for publisher confirms", status);
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      const amqp_method_t& m = frame.payload.method;
      if (m.id == AMQP_BASIC_ACK_METHOD) {
        auto* a = static_cast<amqp_basic_ack_t*>(m.decoded);
        settle(a->delivery_tag, a->multiple, false);
      } else if (m.id == AMQP_BASIC_NACK_METHOD) {
        auto* a = static_cast<amqp_basic_nack_t*>(m.decoded);
        settle(a->delivery_tag, a->multiple, true);
      } else if (m.id == AMQP_BASIC_RETURN_METHOD) {
        // Not expected without mandatory; its content frames follow and must be read.
        amqp_message_t returned;
        conn_->check_reply(amqp_read_message(c, frame.channel, &returned, 0), "reading a returned message");
        amqp_destroy_message(&returned);
      } else {
        conn_->handle_async_frame(frame);
      }
    }
    if (nacked > 0)
      throw error(Kind::rejected, "the server refused " + std::to_string(nacked) + " of " +
                                      std::to_string(n) + " messages (basic.nack)");
  }

  AmqpConfig config_;
  std::mutex mu_;  // publish() and ping() may come from different threads
  std::unique_ptr<AmqpConnection> conn_;
  std::uint64_t next_tag_ = 1;
  redis::ReconnectGate gate_;
};

}  // namespace

std::unique_ptr<Backend> make_amqp(const std::string& url) {
  return std::make_unique<AmqpBackend>(parse_amqp_url(url));
}

}  // namespace mmx::broker::backends
