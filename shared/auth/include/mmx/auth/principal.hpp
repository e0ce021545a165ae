#pragma once
// Who made a request, as the verified token says. The auth middleware attaches it to the
// request; handlers read it with auth::principal(req). It is shared with the verified-token
// cache (every request with the same token sees the same object): read-only.
#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace mmx::http {
class Request;
}

namespace mmx::auth {

struct Principal {
  std::string subject;    // sub
  std::string client_id;  // client_id, else azp, else clientId (Keycloak's mapper)
  std::vector<std::string> scopes, roles;
  std::string token_id;  // jti ("" when absent)
  std::chrono::system_clock::time_point expires_at;
  // A client_credentials token: no user behind it. True when the `client_id` claim equals
  // `sub` (what our auth service emits) or, for Keycloak, when `preferred_username` starts
  // with "service-account-". Also true for a request authenticated by a service API key.
  bool is_service = false;
  std::string email, name;
  boost::json::object claims;  // the whole payload, for checks of a service's own

  bool has_scope(std::string_view scope) const;
  bool has_role(std::string_view role) const;
};

// The principal the auth middleware attached; nullptr on public routes (the middleware
// does not look at tokens there) and in requests that never went through it.
const Principal* principal(const http::Request& req);

}  // namespace mmx::auth
