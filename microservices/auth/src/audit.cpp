#include "audit.hpp"

#include "mmx/db/where.hpp"

#include "request_util.hpp"

namespace mmx::auth_service {

awaitable<std::int64_t> audit(db::Session& db, const AuditEntry& e) {
  return db.execute(
      "INSERT INTO audit_log (at, at_unix, actor, action, subject, outcome, ip, detail) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      std::chrono::system_clock::now(), unix_now(), e.actor, e.action, e.subject.substr(0, 320),
      e.success ? "success" : "failure", e.ip, e.detail.substr(0, 1000));
}

awaitable<std::int64_t> audit(db::Session& db, std::string_view actor, std::string_view action,
                              std::string_view subject, std::string_view ip,
                              std::string_view detail, bool success) {
  return audit(db, AuditEntry{std::string(actor), std::string(action), std::string(subject),
                              std::string(ip), std::string(detail), success});
}

awaitable<AuditPage> list_audit(db::Session& db, AuditQuery q) {
  db::Where w;
  if (q.actor) w.add("actor = " + w.bind(*q.actor));
  if (q.action) w.add("action = " + w.bind(*q.action));
  if (q.subject) w.add("subject = " + w.bind(*q.subject));
  if (q.outcome) w.add("outcome = " + w.bind(*q.outcome));
  if (q.since) w.add("at_unix >= " + w.bind(*q.since));
  if (q.until) w.add("at_unix < " + w.bind(*q.until));
  auto total = co_await db.fetch_value_params<std::int64_t>(
      "SELECT count(*) FROM audit_log" + w.sql(), w.params());
  std::string sql = "SELECT id, at, actor, action, subject, outcome, ip, detail FROM audit_log" +
                    w.sql() + " ORDER BY id DESC LIMIT " + w.bind(q.limit) + " OFFSET " +
                    w.bind(q.offset);
  auto rows = co_await db.fetch_all_params<AuditRecord>(std::move(sql), w.take_params());
  co_return AuditPage{std::move(rows), total.value_or(0), q.limit, q.offset};
}

}  // namespace mmx::auth_service
