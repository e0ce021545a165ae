#include "issuer.hpp"

#include <boost/json/array.hpp>

#include "mmx/auth/errors.hpp"
#include "mmx/auth/jwt.hpp"
#include "mmx/auth/secrets.hpp"
#include "mmx/exec/offload.hpp"
#include "request_util.hpp"
#include "tokens.hpp"

namespace mmx::auth_service {

namespace json = boost::json;

awaitable<AccessToken> mint_access_token(Service& svc, AccessClaims c) {
  auto keys = co_await svc.keys->current();
  const std::int64_t now = unix_now();
  const std::int64_t ttl = svc.settings.access_ttl.count();
  AccessToken out{"", auth::random_token(16), ttl};
  json::object claims;
  claims["iss"] = svc.settings.issuer;
  claims["sub"] = c.sub;
  if (svc.settings.audiences.size() == 1) {
    claims["aud"] = svc.settings.audiences.front();
  } else {
    json::array aud;
    for (const auto& a : svc.settings.audiences) aud.emplace_back(a);
    claims["aud"] = std::move(aud);
  }
  claims["iat"] = now;
  claims["nbf"] = now;
  claims["exp"] = now + ttl;
  claims["jti"] = out.jti;
  claims["scope"] = join_spaces(c.scopes);
  json::array roles;
  for (const auto& r : c.roles) roles.emplace_back(r);
  claims["roles"] = std::move(roles);
  if (!c.client_id.empty()) claims["client_id"] = c.client_id;
  if (!c.email.empty()) claims["email"] = c.email;
  if (!c.name.empty()) claims["name"] = c.name;
  if (!c.sid.empty()) claims["sid"] = c.sid;
  // An RSA-2048 signature is about a millisecond of CPU: on the worker pool, like Argon2.
  const auth::SigningKey& key = keys->signing;
  out.token = co_await exec::offload(svc.workers, [&] { return auth::sign_jwt(claims, key); });
  co_return out;
}

awaitable<auth::Principal> verify_access_token(Service& svc, std::string token) {
  auto keys = co_await svc.keys->current();
  auto principal = svc.verifier->verify_cached(token, *keys->verify);
  bool revoked = false;
  if (!principal->token_id.empty()) {
    revoked = co_await is_access_token_revoked(*svc.db, principal->token_id);
  }
  if (revoked) throw auth::TokenError(auth::TokenErrorKind::revoked, "the token was revoked");
  co_return *principal;
}

}  // namespace mmx::auth_service
