#include "mmx/broker/idempotent.hpp"

#include "mmx/dto/time.hpp"

namespace mmx::broker {

namespace asio = boost::asio;

IdempotentConsumer::IdempotentConsumer(std::shared_ptr<db::Database> db, std::string group)
    : db_(std::move(db)), group_(std::move(group)),
      duplicates_(std::make_shared<std::atomic<std::uint64_t>>(0)) {}

void IdempotentConsumer::ensure_schema() {
  auto conn = db_->driver().connect(false);
  // CloudEvents ids are unique per source, so the key is (group, source, id).
  conn->execute_script(
      "CREATE TABLE IF NOT EXISTS mmx_processed_events (consumer_group TEXT NOT NULL,"
      " event_source TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,"
      " processed_at BIGINT NOT NULL, PRIMARY KEY (consumer_group, event_source, event_id));"
      "CREATE INDEX IF NOT EXISTS mmx_processed_events_at ON mmx_processed_events (processed_at);");
}

Handler IdempotentConsumer::wrap(TransactionalHandler handler) {
  return [db = db_, group = group_, dup = duplicates_,
          handler = std::move(handler)](const Message& m) -> asio::awaitable<void> {
    co_await db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
      // Claim the id first: a concurrent redelivery of the same event (another member of the
      // group) waits on this row's key until we commit or roll back, then sees it.
      auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      auto claimed = co_await tx.execute(
          "INSERT INTO mmx_processed_events (consumer_group, event_source, event_id, event_type,"
          " processed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
          group, m.event.source, m.event.id, m.event.type, now);
      if (claimed == 0) {
        dup->fetch_add(1, std::memory_order_relaxed);
        co_return;  // already processed: nothing to do, and the broker acks it
      }
      co_await handler(m, tx);
    });
  };
}

asio::awaitable<bool> IdempotentConsumer::processed(Event event) {
  auto n = co_await db_->fetch_value<std::int64_t>(
      "SELECT count(*) FROM mmx_processed_events WHERE consumer_group = $1 AND event_source = $2 "
      "AND event_id = $3",
      group_, event.source, event.id);
  co_return n.value_or(0) > 0;
}

asio::awaitable<std::int64_t> IdempotentConsumer::purge(std::chrono::hours age) {
  auto cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(
                    (std::chrono::system_clock::now() - age).time_since_epoch())
                    .count();
  co_return co_await db_->execute(
      "DELETE FROM mmx_processed_events WHERE consumer_group = $1 AND processed_at < $2", group_,
      cutoff);
}

std::uint64_t IdempotentConsumer::duplicates() const { return duplicates_->load(); }

}  // namespace mmx::broker
