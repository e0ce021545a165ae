#include "mmx/broker/service_broker.hpp"

#include <thread>

#include "mmx/broker/contracts.hpp"
#include "mmx/log/log.hpp"

namespace mmx::broker {
namespace {

config::Setting setting(std::string name, config::Kind kind, std::string def, std::string help,
                        std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX) {
  return config::make_setting(std::move(name), kind, std::move(def), std::move(help), "broker", min, max);
}

// Connects once, retrying while the broker is unreachable (starting up) until `wait`.
void wait_for_broker(Backend& backend, std::chrono::milliseconds wait, const std::string& shown) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    try {
      backend.ping();
      return;
    } catch (const BrokerError& e) {
      if (e.kind() != BrokerError::Kind::unavailable ||
          std::chrono::steady_clock::now() + pause > deadline)
        throw;
      if (attempt == 1)
        log::warn("broker", "broker not reachable yet, waiting", {{"url", shown}, {"error", e.what()}});
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    }
  }
}

}  // namespace

void declare_broker_settings(config::SettingRegistry& r) {
  auto url = setting("MMX_BROKER_URL", config::Kind::string, "sqlite:events.db",
                     "Message broker: sqlite:PATH (embedded durable log, relative to the data dir), "
                     "amqp://user:password@host:port/vhost (RabbitMQ), kafka://host:port[,...], "
                     "redis://[:password@]host:port[/db] (Redis Streams).");
  url.secret = true;
  r.add(url);
  r.add(setting("MMX_BROKER_CONNECT_WAIT", config::Kind::duration, "10s",
                "How long start-up waits for a broker that is not reachable yet.", 0));
  r.add(setting("MMX_BROKER_MAX_ATTEMPTS", config::Kind::integer, "5",
                "Handler attempts per event before it goes to the <topic>.dlq dead-letter topic.", 1,
                1000));
  r.add(setting("MMX_BROKER_RETRY_BACKOFF", config::Kind::duration, "200ms",
                "First pause before retrying a failed handler; doubles per attempt (max 30s).", 1));
  auto validate = setting("MMX_BROKER_VALIDATE", config::Kind::choice, "auto",
                          "Check published events against shared/contracts/asyncapi.yaml: auto "
                          "(debug builds only), true, false.");
  validate.choices = {"auto", "true", "false"};
  r.add(validate);
}

ServiceBroker open_service_broker(module::Context& ctx, const std::string& service,
                                  std::shared_ptr<db::Database> db, bool relay) {
  const std::string raw = ctx.config.string("MMX_BROKER_URL");
  const std::string shown = redact_broker_url(raw);
  ServiceBroker out;
  BrokerOptions options;
  options.name = service;
  const std::string& v = ctx.config.string("MMX_BROKER_VALIDATE");
  if (v == "true" || (v == "auto" && validation_enabled_by_default()))
    options.validate = ContractRegistry().validator();
  try {
    auto backend = make_backend(raw, ctx.data_dir);
    wait_for_broker(*backend, ctx.config.duration("MMX_BROKER_CONNECT_WAIT"), shown);
    out.broker = std::make_shared<Broker>(std::move(backend), options, &ctx.metrics);
  } catch (const BrokerError& e) {
    throw std::runtime_error("MMX_BROKER_URL (" + shown + "): " + e.what());
  }
  out.consume_options.retry.max_attempts = static_cast<int>(ctx.config.integer("MMX_BROKER_MAX_ATTEMPTS"));
  out.consume_options.retry.initial_backoff = ctx.config.duration("MMX_BROKER_RETRY_BACKOFF");
  out.consume_options.retry.max_backoff = std::chrono::seconds(30);

  std::weak_ptr<Broker> weak = out.broker;
  ctx.health.add("broker", [weak]() -> boost::asio::awaitable<health::CheckResult> {
    auto b = weak.lock();
    if (!b) co_return health::CheckResult{false, "closed"};
    try {
      co_await b->ping();
      co_return health::CheckResult{true, ""};
    } catch (const std::exception& e) {
      co_return health::CheckResult{false, e.what()};
    }
  });

  if (db) {
    OutboxOptions oo;
    oo.name = service;
    oo.validate = options.validate;
    out.outbox = std::make_shared<Outbox>(db, *out.broker, oo, &ctx.metrics);
    out.outbox->ensure_schema();
    if (relay && !ctx.migrate_only)
      ctx.add_background_task(service + "-outbox-relay",
                              [outbox = out.outbox, broker = out.broker] { return outbox->run_relay(); });
  }
  return out;
}

}  // namespace mmx::broker
