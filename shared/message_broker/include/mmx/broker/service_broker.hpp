#pragma once
// How a service gets its broker and outbox, in one call from its module's init (after its
// database):
//
//   auto events = broker::open_service_broker(ctx, "backend", db);
//   co_await events.outbox->add(tx, "orders", id, event);       // in a handler
//   ctx.add_background_task("orders-consumer", [b = events.broker] { return b->consume(...); });
//
// The URL is MMX_BROKER_URL (default: the embedded log, sqlite:events.db in the data dir,
// shared by every service and process on the host). Start-up waits a bounded time for a
// broker that is not reachable yet, and fails with a message naming the setting (never
// the password). The outbox relay runs as a background task; "broker" is a readiness check.
#include <memory>
#include <string>

#include "mmx/broker/broker.hpp"
#include "mmx/broker/outbox.hpp"
#include "mmx/config/config.hpp"
#include "mmx/db/database.hpp"
#include "mmx/module/module.hpp"

namespace mmx::broker {

void declare_broker_settings(config::SettingRegistry& registry);

struct ServiceBroker {
  std::shared_ptr<Broker> broker;
  std::shared_ptr<Outbox> outbox;  // null when opened without a database
  ConsumeOptions consume_options;  // from the retry settings
};

// Throws std::runtime_error naming MMX_BROKER_URL. `relay` false: the outbox is created but
// its relay does not run (tests of a crash between commit and relay).
ServiceBroker open_service_broker(module::Context& ctx, const std::string& service,
                                  std::shared_ptr<db::Database> db, bool relay = true);

}  // namespace mmx::broker
