#pragma once
// The broker as services use it:
//
//   co_await broker.publish("orders", order_id, broker::make_event("order.placed", src, data));
//   ctx.add_background_task("orders-consumer", [&] {
//     return broker.consume("data_pipelines", {"orders"}, [&](const broker::Message& m)
//         -> asio::awaitable<void> { ... });   // throw to retry; acked when it returns
//   });
//
// At-least-once: a delivery is acknowledged after its handler returns. A handler that
// throws is retried with exponential backoff (in place, so later events of the same key
// wait: per-key order holds); after max_attempts the event goes to `<topic>.dlq` with the
// last error attached (extensions deadlettererror, deadlettergroup, deadletterattempts)
// and the original is acknowledged. Blocking backend calls run on the broker's own
// threads, never on an io thread.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mmx/broker/backend.hpp"
#include "mmx/broker/event.hpp"

namespace mmx::metrics {
class Registry;
}

namespace mmx::broker {

struct Message {
  Event event;
  std::string topic;
  std::string key;
  int attempt = 1;  // 1 on first delivery; counts redeliveries and in-place retries
};

using Handler = std::function<boost::asio::awaitable<void>(const Message&)>;

struct RetryPolicy {
  int max_attempts = 5;  // handler calls before the event is dead-lettered
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
};

struct ConsumeOptions {
  RetryPolicy retry;
  ConsumerOptions consumer;
  std::string dead_letter_suffix = ".dlq";
  std::chrono::milliseconds poll_wait{200};  // also bounds how long shutdown waits for a poll
};

// Checks an event against the declared contract before it is published (see
// contracts.hpp); throws EventError naming what does not fit.
using EventValidator = std::function<void(const Event&)>;

struct BrokerOptions {
  std::string name = "broker";  // metric label: the service that owns it
  std::size_t consumer_threads = 4;  // blocking polls; one per concurrent consume()
  EventValidator validate;           // empty: no validation
};

class Broker {
 public:
  Broker(std::unique_ptr<Backend> backend, BrokerOptions options, metrics::Registry* metrics);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Resumes when the backend has durably accepted the event. Throws BrokerError
  // (unavailable: the caller decides; services publish through the outbox instead) or
  // EventError (the event does not match its contract).
  boost::asio::awaitable<void> publish(std::string topic, std::string key, Event event);
  // Several at once (the outbox relay): one backend round trip.
  boost::asio::awaitable<void> publish_batch(std::vector<OutgoingMessage> batch);

  // Joins `group` now (blocking; for a module's init). A group receives what is published
  // after it first subscribed, and consume() runs only once the server is up: joining in
  // init means nothing published after start-up is missed by a brand-new group (a fresh
  // RabbitMQ queue, Redis stream group or SQLite log group). consume() with the same group
  // and topics then takes over this membership.
  void join(const std::string& group, const std::vector<std::string>& topics,
            const ConsumerOptions& options = {});

  // Consumes as member of `group` until cancelled (a module's background task). Polling
  // failures (server down) are logged and retried with backoff; they never end it.
  boost::asio::awaitable<void> consume(std::string group, std::vector<std::string> topics,
                                       Handler handler, ConsumeOptions options = {});

  Backend& backend();
  const BrokerOptions& options() const;
  // A readiness check: the backend answers.
  boost::asio::awaitable<bool> ping();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serialized CloudEvent -> OutgoingMessage, after validation.
OutgoingMessage to_outgoing(std::string topic, std::string key, const Event& event);

}  // namespace mmx::broker
