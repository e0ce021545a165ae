#include "mmx/auth/principal.hpp"

#include <algorithm>

#include "mmx/http/request.hpp"

namespace mmx::auth {

bool Principal::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool Principal::has_role(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

const Principal* principal(const http::Request& req) { return req.attribute<Principal>(); }

}  // namespace mmx::auth
