#include "oauth_error.hpp"

#include <boost/json/object.hpp>

namespace mmx::auth_service {

OAuthError invalid_request(std::string d) { return {"invalid_request", std::move(d)}; }
OAuthError invalid_grant(std::string d) { return {"invalid_grant", std::move(d)}; }
OAuthError invalid_scope(std::string d) { return {"invalid_scope", std::move(d)}; }
OAuthError invalid_client(std::string d) { return {"invalid_client", std::move(d), 401}; }
OAuthError unauthorized_client(std::string d) { return {"unauthorized_client", std::move(d)}; }
OAuthError unsupported_grant_type(std::string d) {
  return {"unsupported_grant_type", std::move(d)};
}

http::Response& no_store(http::Response& r) {
  r.set_header("Cache-Control", "no-store");
  r.set_header("Pragma", "no-cache");
  return r;
}

http::Response oauth_error_response(const OAuthError& e) {
  boost::json::object body{{"error", e.error()}, {"error_description", e.description()}};
  http::Response r = http::Response::json(body, e.status());
  if (e.status() == 401) r.set_header("WWW-Authenticate", "Basic realm=\"micromax\"");
  if (e.retry_after() > 0) r.set_header("Retry-After", std::to_string(e.retry_after()));
  return no_store(r);
}

}  // namespace mmx::auth_service
