#include "mmx/broker/broker.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <map>
#include <mutex>

#include "mmx/dto/time.hpp"
#include "mmx/exec/offload.hpp"
#include "mmx/log/log.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::broker {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

std::chrono::milliseconds backoff(const RetryPolicy& p, int failures) {
  auto d = p.initial_backoff * (1LL << std::min(failures - 1, 20));
  return std::min<std::chrono::milliseconds>(d, p.max_backoff);
}

std::string join_key(const std::string& group, const std::vector<std::string>& topics) {
  std::string k = group;
  for (const auto& t : topics) k += '\n' + t;
  return k;
}

std::string truncate(std::string s, std::size_t n) {
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
}

}  // namespace

OutgoingMessage to_outgoing(std::string topic, std::string key, const Event& event) {
  return {std::move(topic), std::move(key), serialize(event)};
}

struct Broker::Impl {
  std::unique_ptr<Backend> backend;
  BrokerOptions options;
  // Publishing has one thread: backends promise publish() to a single publisher thread,
  // and one thread keeps publish order = call order. Consumers poll on their own threads.
  exec::WorkerPool publisher{1, 4096};
  exec::WorkerPool consumers;
  std::mutex joined_mu;
  std::map<std::string, std::unique_ptr<Consumer>> joined;  // by join_key(), until consume()
  metrics::Family<metrics::Counter>* published = nullptr;
  metrics::Family<metrics::Counter>* publish_errors = nullptr;
  metrics::Family<metrics::Counter>* delivered = nullptr;
  metrics::Family<metrics::Counter>* retried = nullptr;
  metrics::Family<metrics::Counter>* dead_lettered = nullptr;
  metrics::Family<metrics::Counter>* poll_errors = nullptr;
  metrics::Family<metrics::Counter>* polls = nullptr;
  metrics::Family<metrics::Gauge>* lag = nullptr;
  metrics::Family<metrics::Histogram>* handler_seconds = nullptr;
  metrics::Family<metrics::Histogram>* e2e_seconds = nullptr;

  Impl(std::unique_ptr<Backend> b, BrokerOptions o)
      : backend(std::move(b)), options(std::move(o)),
        consumers(std::max<std::size_t>(1, options.consumer_threads), 64) {}

  asio::awaitable<void> send(std::vector<OutgoingMessage> batch) {
    try {
      co_await exec::offload(publisher, [this, &batch] { backend->publish(batch); });
    } catch (const BrokerError&) {
      if (publish_errors) publish_errors->with({options.name}).inc(static_cast<double>(batch.size()));
      throw;
    }
    if (published)
      for (const auto& m : batch) published->with({options.name, m.topic}).inc();
  }

  // The event that goes to the dead-letter topic: the original with the reason attached.
  OutgoingMessage dead_letter(const Delivery& d, const std::optional<Event>& event,
                              const std::string& group, int attempts, const std::string& error,
                              const std::string& suffix) {
    if (!event) {
      // Not even a CloudEvent: keep the bytes as they came, wrapped so the reason travels.
      Event wrapper = make_event("mmx.deadletter.unparseable", "/micromax/broker/" + group,
                                 boost::json::string(d.payload));
      wrapper.extensions["deadlettererror"] = truncate(error, 1000);
      wrapper.extensions["deadlettergroup"] = group;
      wrapper.extensions["deadletterattempts"] = std::to_string(attempts);
      return to_outgoing(d.topic + suffix, d.key, wrapper);
    }
    Event e = *event;
    e.extensions["deadlettererror"] = truncate(error, 1000);
    e.extensions["deadlettergroup"] = group;
    e.extensions["deadletterattempts"] = std::to_string(attempts);
    return to_outgoing(d.topic + suffix, d.key, e);
  }
};

Broker::Broker(std::unique_ptr<Backend> backend, BrokerOptions options, metrics::Registry* metrics)
    : impl_(std::make_unique<Impl>(std::move(backend), std::move(options))) {
  if (!metrics) return;
  auto& m = *metrics;
  impl_->published = &m.counter("mmx_broker_published_total", "Events accepted by the broker",
                                {"broker", "topic"});
  impl_->publish_errors = &m.counter("mmx_broker_publish_errors_total",
                                     "Events the broker did not accept (unavailable)", {"broker"});
  impl_->delivered = &m.counter("mmx_broker_delivered_total",
                                "Events handled successfully and acknowledged", {"group", "topic"});
  impl_->retried = &m.counter("mmx_broker_retried_total", "Handler failures that were retried",
                              {"group", "topic"});
  impl_->dead_lettered = &m.counter("mmx_broker_dead_lettered_total",
                                    "Events sent to the dead-letter topic", {"group", "topic"});
  impl_->poll_errors = &m.counter("mmx_broker_poll_errors_total",
                                  "Failed polls (broker unreachable)", {"group"});
  impl_->polls = &m.counter("mmx_broker_polls_total",
                            "Completed polls (a consumer that stops polling is stuck)", {"group"});
  impl_->lag = &m.gauge("mmx_broker_consumer_lag", "Events behind the head, as last seen",
                        {"group", "topic"});
  impl_->handler_seconds = &m.histogram("mmx_broker_handler_duration_seconds",
                                        "Handler run time per event", {"group"});
  impl_->e2e_seconds = &m.histogram("mmx_broker_publish_to_handler_seconds",
                                    "From the event's time to its handler finishing", {"group"});
}

Broker::~Broker() {
  impl_->consumers.stop();
  impl_->publisher.stop();
}

Backend& Broker::backend() { return *impl_->backend; }

void Broker::join(const std::string& group, const std::vector<std::string>& topics,
                  const ConsumerOptions& options) {
  auto consumer = impl_->backend->subscribe(group, topics, options);
  std::lock_guard lock(impl_->joined_mu);
  impl_->joined[join_key(group, topics)] = std::move(consumer);
}
const BrokerOptions& Broker::options() const { return impl_->options; }

asio::awaitable<void> Broker::publish(std::string topic, std::string key, Event event) {
  if (impl_->options.validate) impl_->options.validate(event);
  std::vector<OutgoingMessage> batch;
  batch.push_back(to_outgoing(std::move(topic), std::move(key), event));
  co_await impl_->send(std::move(batch));
}

asio::awaitable<void> Broker::publish_batch(std::vector<OutgoingMessage> batch) {
  if (batch.empty()) co_return;
  co_await impl_->send(std::move(batch));
}

asio::awaitable<bool> Broker::ping() {
  co_await exec::offload(impl_->publisher, [this] { impl_->backend->ping(); });
  co_return true;
}

asio::awaitable<void> Broker::consume(std::string group, std::vector<std::string> topics,
                                      Handler handler, ConsumeOptions options) {
  Impl& im = *impl_;
  std::unique_ptr<Consumer> consumer;
  std::vector<Delivery> pending;  // polled, not yet acknowledged: released on the way out
  int poll_failures = 0;
  struct ReleaseOnExit {
    std::unique_ptr<Consumer>& c;
    std::vector<Delivery>& pending;
    ~ReleaseOnExit() {
      // Cancellation (shutdown) with work in hand: give it back for redelivery. Blocking,
      // but bounded by the backend's timeouts, and only at shutdown.
      if (!c) return;
      for (const auto& d : pending) {
        try {
          c->release(d);
        } catch (...) {
        }
      }
      c.reset();
    }
  } release_on_exit{consumer, pending};

  {
    std::lock_guard lock(im.joined_mu);
    auto it = im.joined.find(join_key(group, topics));
    if (it != im.joined.end()) {
      consumer = std::move(it->second);
      im.joined.erase(it);
    }
  }
  for (;;) {
    std::string poll_error;
    try {
      if (!consumer)
        consumer = co_await exec::offload(im.consumers, [&] {
          return im.backend->subscribe(group, topics, options.consumer);
        });
      pending = co_await exec::offload(im.consumers, [&] {
        return consumer->poll(options.consumer.batch, options.poll_wait);
      });
      poll_failures = 0;
      if (im.polls) im.polls->with({group}).inc();
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) throw;  // shutdown
      poll_error = e.what();
    } catch (const std::exception& e) {
      // Whatever the backend throws, the consumer outlives it and keeps trying.
      poll_error = e.what();
    }
    if (!poll_error.empty()) {
      // The broker is down or restarting: say so once per outage, keep trying, slower.
      if (im.poll_errors) im.poll_errors->with({group}).inc();
      if (poll_failures++ == 0)
        log::warn("broker", "cannot poll; retrying", {{"group", group}, {"error", poll_error}});
      co_await pause(std::min(std::chrono::milliseconds(100) * (1 << std::min(poll_failures, 5)),
                              std::chrono::milliseconds(3000)));
      continue;
    }
    if (pending.empty()) continue;

    std::vector<OutgoingMessage> dead;
    for (const Delivery& d : pending) {
      std::optional<Event> event;
      std::string error;
      try {
        event = parse_event(d.payload);
      } catch (const EventError& e) {
        error = std::string("malformed CloudEvent: ") + e.what();
      }
      int attempt = d.attempt;
      bool ok = false;
      for (int failures = 0; event;) {
        Message msg{*event, d.topic, d.key, attempt};
        auto t0 = Clock::now();
        try {
          co_await handler(msg);
          ok = true;
        } catch (const boost::system::system_error& e) {
          if (e.code() == asio::error::operation_aborted) throw;  // shutdown, not a failure
          error = e.what();
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (im.handler_seconds)
          im.handler_seconds->with({group}).observe(
              std::chrono::duration<double>(Clock::now() - t0).count());
        if (ok) break;
        ++failures;
        if (attempt >= options.retry.max_attempts) break;
        if (im.retried) im.retried->with({group, d.topic}).inc();
        log::warn("broker", "handler failed; will retry",
                  {{"group", group}, {"topic", d.topic}, {"event_id", event->id},
                   {"attempt", static_cast<std::int64_t>(attempt)}, {"error", error}});
        co_await pause(backoff(options.retry, failures));
        ++attempt;
      }
      if (ok) {
        if (im.delivered) im.delivered->with({group, d.topic}).inc();
        if (im.e2e_seconds)
          if (auto tp = dto::parse_date_time(event->time))
            im.e2e_seconds->with({group}).observe(
                std::chrono::duration<double>(std::chrono::system_clock::now() - *tp).count());
      } else {
        log::error("broker", "event dead-lettered",
                   {{"group", group}, {"topic", d.topic},
                    {"event_id", event ? event->id : std::string()},
                    {"attempts", static_cast<std::int64_t>(attempt)}, {"error", error}});
        dead.push_back(im.dead_letter(d, event, group, attempt, error, options.dead_letter_suffix));
        if (im.dead_lettered) im.dead_lettered->with({group, d.topic}).inc();
      }
      if (im.lag && d.lag >= 0) im.lag->with({group, d.topic}).set(static_cast<double>(d.lag));
    }
    // Dead letters are published before the originals are acknowledged: a crash in
    // between redelivers the original (at-least-once), never loses it.
    while (!dead.empty()) {
      std::string error;
      try {
        co_await im.send(dead);
        dead.clear();
      } catch (const BrokerError& e) {
        error = e.what();
      }
      if (!error.empty()) {
        log::warn("broker", "cannot publish dead letters; retrying", {{"group", group}, {"error", error}});
        co_await pause(std::chrono::milliseconds(500));
      }
    }
    std::string ack_error;
    try {
      co_await exec::offload(im.consumers, [&] {
        for (const auto& d : pending) consumer->ack(d);
      });
    } catch (const BrokerError& e) {
      // The connection dropped: the server redelivers what it did not get acks for.
      ack_error = e.what();
    }
    if (!ack_error.empty())
      log::warn("broker", "acknowledgement failed; events will be redelivered",
                {{"group", group}, {"error", ack_error}});
    pending.clear();
  }
}

}  // namespace mmx::broker
