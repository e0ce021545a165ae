#pragma once
// The transactional outbox. A service writes its events in the same database transaction
// as the state change they describe:
//
//   co_await db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
//     co_await tx.execute("UPDATE orders SET status = 'paid' WHERE id = $1", id);
//     co_await outbox.add(tx, "orders", id, broker::make_event("order.paid", src, data));
//   });
//
// and the relay (a background task) publishes pending rows in id order, then marks them
// sent. The event exists exactly when the state change does: nothing is lost when the
// broker is down (the relay retries with backoff) or when the process dies between commit
// and publish (the rows are still pending at the next start). A crash between publish and
// marking sent publishes a row twice; consumers deduplicate on the event id (idempotent.hpp).
//
// Order: rows are relayed in id order by one relay at a time (a lease row elects it among
// replicas). Write the state change before outbox.add so that transactions touching the
// same aggregate also take their outbox ids in commit order.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "mmx/broker/broker.hpp"
#include "mmx/db/database.hpp"

namespace mmx::broker {

struct OutboxOptions {
  std::string name = "outbox";  // metric label: the service
  std::size_t batch = 500;
  std::chrono::milliseconds idle_poll{250};    // a commit wakes the relay at once anyway
  std::chrono::milliseconds max_backoff{5000};  // between attempts while the broker is down
  std::chrono::milliseconds lease{10000};       // relay leadership among replicas
  std::chrono::milliseconds keep_sent{3600000};  // sent rows are purged after this
  EventValidator validate;                       // empty: no validation
};

class Outbox {
 public:
  Outbox(std::shared_ptr<db::Database> db, Broker& broker, OutboxOptions options,
         metrics::Registry* metrics);
  ~Outbox();

  // Creates the outbox tables if missing (blocking; at start-up).
  void ensure_schema();

  // Stores the event in the transaction; the relay is woken when the transaction commits.
  // Throws EventError when the event does not fit its contract.
  boost::asio::awaitable<void> add(db::Transaction& tx, std::string topic, std::string key,
                                   Event event);

  // Publishes pending events until cancelled (a module's background task).
  boost::asio::awaitable<void> run_relay();

  // One relay pass: publishes up to `batch` pending events. Returns how many were sent.
  // Throws BrokerError when the broker refuses them (they stay pending).
  boost::asio::awaitable<std::size_t> relay_once();

  // Pending (unsent) rows; for tests, metrics and readiness.
  boost::asio::awaitable<std::int64_t> pending();
  void wake();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mmx::broker
