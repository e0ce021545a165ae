#include "audit.hpp"

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
  std::string where = " WHERE 1 = 1";
  db::Params params;
  auto add = [&](const char* clause, db::Value v) {
    params.push_back(std::move(v));
    where += std::string(" AND ") + clause + " $" + std::to_string(params.size());
  };
  if (q.actor) add("actor =", *q.actor);
  if (q.action) add("action =", *q.action);
  if (q.subject) add("subject =", *q.subject);
  if (q.outcome) add("outcome =", *q.outcome);
  if (q.since) add("at_unix >=", *q.since);
  if (q.until) add("at_unix <", *q.until);
  db::Params count_params = params;
  auto total = co_await db.fetch_value_params<std::int64_t>(
      "SELECT count(*) FROM audit_log" + where, std::move(count_params));
  params.emplace_back(q.limit);
  params.emplace_back(q.offset);
  auto rows = co_await db.fetch_all_params<AuditRecord>(
      "SELECT id, at, actor, action, subject, outcome, ip, detail FROM audit_log" + where +
          " ORDER BY id DESC LIMIT $" + std::to_string(params.size() - 1) + " OFFSET $" +
          std::to_string(params.size()),
      std::move(params));
  co_return AuditPage{std::move(rows), total.value_or(0), q.limit, q.offset};
}

}  // namespace mmx::auth_service
