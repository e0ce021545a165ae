#pragma once
// The audit trail: sign-ins and their failures, token events, password changes and every
// admin action, with who (actor), what (action, subject), when and from where (ip). Never a
// password, secret or token.
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "mmx/db/database.hpp"
#include "models.hpp"

namespace mmx::auth_service {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct AuditEntry {
  std::string actor;    // user id, client id, "system", or "anonymous"
  std::string action;   // login.success, user.create, ...
  std::string subject;  // what it was done to (user id, client id, kid, email tried)
  std::string ip;
  std::string detail;
  bool success = true;
};

awaitable<std::int64_t> audit(db::Session& db, const AuditEntry& e);
// The same with the fields as arguments. (g++ 12 destroys a braced aggregate temporary in
// a co_await expression twice, so `co_await audit(db, {...})` must not be written.)
awaitable<std::int64_t> audit(db::Session& db, std::string_view actor, std::string_view action,
                              std::string_view subject, std::string_view ip,
                              std::string_view detail = {}, bool success = true);

struct AuditQuery {
  std::optional<std::string> actor, action, subject, outcome;
  std::optional<std::int64_t> since, until;  // Unix seconds, inclusive / exclusive
  std::int64_t limit = 50;
  std::int64_t offset = 0;
};
// Newest first.
awaitable<AuditPage> list_audit(db::Session& db, AuditQuery q);

}  // namespace mmx::auth_service
