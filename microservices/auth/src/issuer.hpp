#pragma once
// Minting our access tokens (RS256 JWTs, RFC 9068 claims) and checking them again where the
// service needs to (introspection, revocation, its own routes).
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mmx/auth/principal.hpp"
#include "service.hpp"

namespace mmx::auth_service {

struct AccessClaims {
  std::string sub;        // user id, or the client id for client_credentials
  std::string client_id;  // "" for a user signing in without a client
  std::string email, name;
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  std::string sid;  // the refresh-token family (a user's session); "" for services
};

struct AccessToken {
  std::string token;
  std::string jti;
  std::int64_t expires_in = 0;
};

awaitable<AccessToken> mint_access_token(Service& svc, AccessClaims claims);

// Full verification against the keys in the database (signature, iss, aud, exp/nbf with
// leeway) plus our revocation list. Throws auth::TokenError.
awaitable<auth::Principal> verify_access_token(Service& svc, std::string token);

}  // namespace mmx::auth_service
