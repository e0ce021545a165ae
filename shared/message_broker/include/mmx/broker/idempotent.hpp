#pragma once
// Idempotent consumers. At-least-once delivery means an event can arrive twice (a
// redelivery after a crash, an outbox row published twice). The wrapper records
// (group, event source, event id) in the consumer's own database in the same transaction
// as the handler's effects: a redelivered event finds its row and is acknowledged without
// running the handler again, and a handler that fails leaves no record, so the retry runs.
//
//   broker.consume("billing", {"orders"}, idempotent.wrap(
//       [&](const broker::Message& m, db::Transaction& tx) -> asio::awaitable<void> {
//         co_await tx.execute("INSERT INTO invoices ...", ...);
//       }));
#include <boost/asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "mmx/broker/broker.hpp"
#include "mmx/db/database.hpp"

namespace mmx::broker {

using TransactionalHandler =
    std::function<boost::asio::awaitable<void>(const Message&, db::Transaction&)>;

class IdempotentConsumer {
 public:
  IdempotentConsumer(std::shared_ptr<db::Database> db, std::string group);

  // Creates the table if missing (blocking; at start-up).
  void ensure_schema();
  Handler wrap(TransactionalHandler handler);
  // Whether this group already processed the event.
  boost::asio::awaitable<bool> processed(Event event);
  // Forgets ids older than `age` (redeliveries come within minutes, not weeks).
  boost::asio::awaitable<std::int64_t> purge(std::chrono::hours age);
  // Duplicates skipped so far (also exported as a metric by the caller if wanted).
  std::uint64_t duplicates() const;

 private:
  std::shared_ptr<db::Database> db_;
  std::string group_;
  std::shared_ptr<std::atomic<std::uint64_t>> duplicates_;
};

}  // namespace mmx::broker
