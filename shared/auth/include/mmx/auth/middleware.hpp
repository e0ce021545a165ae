#pragma once
// The auth middleware (http::Stage::auth): enforces each route's http::AuthRequirement.
//
//   none           passes; the token, if any, is not even looked at (a bad token never
//                  breaks a public route) and no principal is attached.
//   authenticated  any valid bearer token, user or service.
//   scope          a valid token holding EVERY listed scope.
//   role           a valid token holding ANY listed role.
//   service        a client_credentials token (Principal::is_service) holding every listed
//                  scope, OR the header `X-API-Key` equal (constant time) to the API key of
//                  the route's module (MMX_<MODULE>_API_KEY; empty = API keys refused).
//                  When X-API-Key is sent it alone decides.
//
// Answers (problem+json, through errors::HttpError):
//   401  WWW-Authenticate: Bearer realm="micromax"                    no token (RFC 6750 §3.1)
//   401  WWW-Authenticate: Bearer realm="micromax", error="invalid_token",
//        error_description="..."                                      bad/expired/... token
//   403  WWW-Authenticate: Bearer realm="micromax", error="insufficient_scope",
//        error_description="...", scope="a b"                         missing scope/role/kind
//   503  Retry-After: N                                               JWKS cannot be fetched
// On success the Principal is a request attribute: auth::principal(req).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mmx/auth/key_provider.hpp"
#include "mmx/auth/verifier.hpp"
#include "mmx/http/middleware.hpp"

namespace mmx::metrics {
class Registry;
}

namespace mmx::auth {

inline constexpr std::string_view kRealm = "micromax";
inline constexpr std::string_view kApiKeyHeader = "X-API-Key";

struct MiddlewareOptions {
  std::shared_ptr<TokenVerifier> verifier;
  std::shared_ptr<KeyProvider> keys;
  // The API key of a module (route's module name), nullopt or "" when it has none.
  std::function<std::optional<std::string>(std::string_view module)> api_key;
  metrics::Registry* metrics = nullptr;  // auth_requests_total{outcome}
};

std::shared_ptr<http::Middleware> make_auth_middleware(MiddlewareOptions options);

// The bearer token of an Authorization header value ("Bearer <token>", scheme
// case-insensitive); nullopt for another scheme or an empty token.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace mmx::auth
