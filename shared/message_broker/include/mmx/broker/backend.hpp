#pragma once
// What a broker backend implements: blocking calls made from the broker's own threads
// (never an io thread). The generic layer (broker.hpp) adds retries with backoff,
// dead-lettering, metrics, tracing and the handoff to coroutine handlers, so each backend
// is only the transport: publish durably, deliver to a consumer group, acknowledge.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace mmx::broker {

class BrokerError : public std::runtime_error {
 public:
  enum class Kind { unavailable, configuration, authentication, rejected };
  BrokerError(Kind kind, std::string message)
      : std::runtime_error(std::move(message)), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct OutgoingMessage {
  std::string topic;
  std::string key;      // ordering key (same key, same order), e.g. the aggregate id
  std::string payload;  // the serialized CloudEvent (structured JSON)
};

struct Delivery {
  std::string topic;
  std::string key;
  std::string payload;
  int attempt = 1;           // backend's redelivery count + 1, where it knows it
  std::int64_t lag = -1;     // messages behind the head of this topic/partition, if known
  std::uint64_t token = 0;   // backend-private ack handle (delivery tag, stream id index...)
  std::string token_text;    // backend-private, when a number does not fit (Redis stream id)
  std::chrono::system_clock::time_point published{};  // when known (latency metric)
};

struct ConsumerOptions {
  std::size_t batch = 64;  // prefetch / poll size
  // A delivery not acknowledged for this long is considered stuck (its consumer died) and
  // may be handed to another member of the group (Redis XAUTOCLAIM, SQLite claim lease).
  std::chrono::milliseconds stuck_after{30000};
};

// One member of a consumer group, used by one thread.
class Consumer {
 public:
  virtual ~Consumer() = default;
  // Waits up to `wait` for deliveries; may return fewer than asked, or none.
  // Throws BrokerError(unavailable) when the connection is lost (the caller backs off and
  // calls again; the consumer reconnects).
  virtual std::vector<Delivery> poll(std::size_t max, std::chrono::milliseconds wait) = 0;
  // The handler succeeded (or the delivery was dead-lettered): never deliver it again to
  // this group. Acks arrive in delivery order.
  virtual void ack(const Delivery& d) = 0;
  // Gives the delivery back unacknowledged (shutdown with work in hand): it will be
  // redelivered to the group.
  virtual void release(const Delivery& d) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "sqlite", "amqp", "kafka", "redis"
  // Blocks until the backend has durably accepted every message (fsync'd log, publisher
  // confirm, acks=all, XADD reply). Throws BrokerError(unavailable) if it cannot; then
  // some of the batch may have been published (at-least-once; consumers deduplicate).
  virtual void publish(std::span<const OutgoingMessage> batch) = 0;
  virtual std::unique_ptr<Consumer> subscribe(const std::string& group,
                                              const std::vector<std::string>& topics,
                                              const ConsumerOptions& options) = 0;
  // Connects (or checks the connection) now; throws BrokerError. For start-up and /readyz.
  virtual void ping() = 0;
};

// Chooses the backend by URL: sqlite:PATH, amqp://, kafka://, redis://. Throws
// BrokerError(configuration) naming what is wrong, never the password.
std::unique_ptr<Backend> make_backend(const std::string& url, const std::string& data_dir = {});

// The URL with any password replaced by "***", for logs and errors.
std::string redact_broker_url(const std::string& url);

}  // namespace mmx::broker
