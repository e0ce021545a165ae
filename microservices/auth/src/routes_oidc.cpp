// Discovery (OpenID Connect Discovery 1.0), the JWKS and userinfo.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "mmx/errors/http_error.hpp"
#include "request_util.hpp"
#include "routes.hpp"
#include "tokens.hpp"
#include "users.hpp"

namespace mmx::auth_service {

namespace json = boost::json;

namespace {

json::array strings(std::initializer_list<const char*> items) {
  json::array a;
  for (const char* s : items) a.emplace_back(s);
  return a;
}

}  // namespace

awaitable<std::string> discovery_document(Service& svc) {
  const RoleList roles = co_await list_roles(*svc.db);
  std::string base = svc.settings.issuer;
  while (base.ends_with('/')) base.pop_back();
  json::array scopes;
  for (const auto& role : roles.items) {
    for (const auto& s : role.scopes) {
      if (std::find(scopes.begin(), scopes.end(), json::value(s)) == scopes.end()) {
        scopes.emplace_back(s);
      }
    }
  }
  json::object doc{
      {"issuer", svc.settings.issuer},
      {"token_endpoint", base + "/auth/token"},
      {"jwks_uri", base + "/.well-known/jwks.json"},
      {"userinfo_endpoint", base + "/auth/userinfo"},
      {"revocation_endpoint", base + "/auth/revoke"},
      {"introspection_endpoint", base + "/auth/introspect"},
      {"end_session_endpoint", base + "/auth/logout"},
      {"grant_types_supported", strings({"password", "refresh_token", "client_credentials"})},
      {"response_types_supported", strings({"token"})},
      {"subject_types_supported", strings({"public"})},
      {"id_token_signing_alg_values_supported", strings({"RS256"})},
      {"token_endpoint_auth_methods_supported",
       strings({"client_secret_basic", "client_secret_post", "none"})},
      {"revocation_endpoint_auth_methods_supported",
       strings({"client_secret_basic", "client_secret_post", "none"})},
      {"introspection_endpoint_auth_methods_supported",
       strings({"client_secret_basic", "client_secret_post"})},
      {"scopes_supported", std::move(scopes)},
      {"claims_supported", strings({"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope",
                                    "roles", "client_id", "email", "name", "sid"})}};
  co_return json::serialize(doc);
}

awaitable<CurrentUser> current_user(Service& svc, const http::Request& req) {
  const auth::Principal* p = auth::principal(req);
  if (!p) throw errors::unauthorized("Sign in first.", "Bearer realm=\"micromax\"");
  if (p->is_service) {
    throw errors::forbidden("This endpoint is about a user; a service's token has none.");
  }
  const auth::Principal principal = *p;
  bool revoked = false;
  if (!principal.token_id.empty()) {
    revoked = co_await is_access_token_revoked(*svc.db, principal.token_id);
  }
  if (revoked) {
    throw errors::unauthorized(
        "The token was revoked.",
        "Bearer realm=\"micromax\", error=\"invalid_token\", error_description=\"revoked\"");
  }
  auto user = co_await find_user(*svc.db, principal.subject);
  if (!user || !user->active) {
    throw errors::unauthorized("The account is disabled or gone.",
                               "Bearer realm=\"micromax\", error=\"invalid_token\", "
                               "error_description=\"account disabled\"");
  }
  co_return CurrentUser{std::move(*user), principal};
}

void mount_oidc_routes(http::Router& r, std::shared_ptr<Service> svc) {
  r.get("/.well-known/openid-configuration",
        [svc](http::Request&) -> awaitable<http::Response> {
          http::Response resp = http::Response::json(svc->discovery);
          resp.set_header("Cache-Control", "public, max-age=300");
          co_return resp;
        })
      .summary("OpenID Connect discovery document")
      .returns_content(200, "Issuer metadata", "application/json");

  r.get("/.well-known/jwks.json",
        [svc](http::Request&) -> awaitable<http::Response> {
          auto keys = co_await svc->keys->current();
          http::Response resp = http::Response::json(keys->jwks);
          resp.content_type = "application/jwk-set+json";
          // Never cached longer than a rotated-in key waits before it signs.
          const auto age = std::min<std::int64_t>(svc->settings.key_activation_delay.count(), 300);
          resp.set_header("Cache-Control", age > 0 ? "public, max-age=" + std::to_string(age)
                                                   : std::string("no-cache"));
          co_return resp;
        })
      .summary("The public keys that verify our tokens (JWKS)")
      .description(
          "The signing key, a rotated-in key before it starts signing, and retired keys until "
          "the last token they signed has expired.")
      .returns_content(200, "JWK Set", "application/jwk-set+json");

  r.get("/auth/userinfo",
        [svc](http::Request& req) -> awaitable<http::Response> {
          auto me = co_await current_user(*svc, req);
          auto roles = co_await roles_of(*svc->db, me.user.id);
          Userinfo info{me.user.id, me.user.email, me.user.full_name, std::move(roles),
                        std::chrono::duration_cast<std::chrono::seconds>(
                            me.user.updated_at.time_since_epoch())
                            .count()};
          http::Response resp = http::Response::of(info);
          resp.set_header("Cache-Control", "no-store");
          co_return resp;
        })
      .summary("Claims about the signed-in user (OIDC userinfo)")
      .auth(http::AuthRequirement::authenticated())
      .returns<Userinfo>(200, "The user")
      .returns(401, "No valid token, or the account is disabled")
      .returns(403, "A service's token");
}

}  // namespace mmx::auth_service
