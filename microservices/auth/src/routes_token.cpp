// POST /auth/token (RFC 6749: password, refresh_token, client_credentials), /auth/revoke
// (RFC 7009), /auth/introspect (RFC 7662) and /auth/logout (cookie mode).
#include <boost/json/object.hpp>

#include "audit.hpp"
#include "clients.hpp"
#include "login_guard.hpp"
#include "mmx/auth/errors.hpp"
#include "mmx/auth/password.hpp"
#include "mmx/auth/secrets.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/exec/offload.hpp"
#include "oauth_error.hpp"
#include "request_util.hpp"
#include "routes.hpp"
#include "tokens.hpp"
#include "users.hpp"

namespace mmx::auth_service {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxRefreshToken = 512;  // ours are 43 characters
constexpr std::size_t kMaxPassword = 4096;

// The scopes asked for: nullopt when the request names none. RFC 6749 §3.3 scope-tokens
// are printable ASCII without space, '"' and '\'.
std::optional<std::vector<std::string>> requested_scopes(const Form& form) {
  auto s = form.get("scope");
  if (!s) return std::nullopt;
  for (char c : *s) {
    auto u = static_cast<unsigned char>(c);
    if (u != ' ' && (u < 0x21 || u > 0x7e || u == '"' || u == '\\')) {
      throw invalid_scope("scope holds a character scope names may not (RFC 6749 §3.3).");
    }
  }
  auto v = split_spaces(*s);
  if (v.empty()) return std::nullopt;
  return v;
}

std::vector<std::string> grant_scopes(const std::optional<std::vector<std::string>>& requested,
                                      const std::vector<std::string>& allowed) {
  if (!requested) return allowed;
  for (const auto& r : *requested) {
    if (std::find(allowed.begin(), allowed.end(), r) == allowed.end()) {
      throw invalid_scope("Scope " + r.substr(0, 64) + " is not available to this account.");
    }
  }
  return *requested;
}

bool allows(const ClientRow& c, std::string_view grant) {
  auto g = split_spaces(c.grant_types);
  return std::find(g.begin(), g.end(), grant) != g.end();
}

bool cookie_delivery(const Form& form) {
  auto d = form.get("token_delivery");
  if (!d || *d == "body") return false;
  if (*d == "cookie") return true;
  throw invalid_request("token_delivery must be body or cookie.");
}

std::optional<std::string> cookie_token(const Service& svc, const http::Request& req) {
  auto h = req.header("Cookie");
  if (!h) return std::nullopt;
  auto v = cookie_value(*h, svc.settings.cookie_name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

http::Response token_response(const Service& svc, const AccessToken& at,
                              std::optional<std::string> refresh,
                              const std::vector<std::string>& scopes, bool cookie) {
  TokenResponse body{at.token, "Bearer", at.expires_in, cookie ? std::nullopt : refresh,
                     join_spaces(scopes)};
  http::Response r = http::Response::of(body);
  if (cookie && refresh) {
    r.set_header("Set-Cookie",
                 refresh_cookie(svc.settings, *refresh, svc.settings.refresh_ttl.count()));
  }
  return no_store(r);
}

struct Grant {
  Form form;
  std::optional<ClientRow> client;
  std::string ip;
  bool cookie = false;
};

awaitable<http::Response> password_grant(Service& svc, Grant g) {
  if (g.client && !allows(*g.client, "password")) {
    throw unauthorized_client("This client may not use the password grant.");
  }
  auto username = g.form.get("username");
  auto password = g.form.get("password");
  if (!username) throw invalid_request("username is required (the account's email).");
  if (!password) throw invalid_request("password is required.");
  if (username->size() > 254 || !dto::detail::is_email(*username)) {
    throw invalid_request("username must be an email address.");
  }
  if (password->size() > kMaxPassword) {
    throw invalid_request("password is longer than " + std::to_string(kMaxPassword) + " bytes.");
  }
  const auto requested = requested_scopes(g.form);
  const std::string key = lower_ascii(*username);
  const LoginState state = co_await login_state(*svc.db, key, unix_now_ms());
  const std::int64_t locked = state.locked_for;
  if (locked > 0) {
    co_await audit(*svc.db, "anonymous", "login.locked", key, g.ip, "", false);
    throw invalid_grant("Too many failed sign-ins for this account; try again in " +
                        std::to_string(locked) + " s.")
        .with_retry_after(static_cast<int>(locked));
  }
  // An unknown email is checked against a real hash too: same answer, same time.
  auto user = co_await find_user_by_email(*svc.db, key);
  std::string hash = user ? user->password_hash : svc.dummy_hash;
  bool ok =
      co_await exec::offload(svc.workers, [&] { return auth::verify_password(*password, hash); });
  if (!ok || !user) {
    const std::int64_t lock =
        co_await record_failure(*svc.db, key, svc.settings.lockout, unix_now_ms());
    std::string detail = lock > 0 ? "account locked for " + std::to_string(lock) + " s" : "";
    co_await audit(*svc.db, "anonymous", "login.failure", key, g.ip, detail, false);
    throw invalid_grant("Incorrect email or password.");
  }
  if (!user->active) {
    co_await audit(*svc.db, user->id, "login.failure", key, g.ip, "account disabled", false);
    throw invalid_grant("This account is disabled.");
  }
  if (state.failures) co_await clear_failures(*svc.db, key);
  if (auth::needs_rehash(user->password_hash, svc.settings.hash)) {
    user->password_hash = co_await exec::offload(
        svc.workers, [&] { return auth::hash_password(*password, svc.settings.hash); });
    co_await svc.db->execute("UPDATE users SET password_hash = $2 WHERE id = $1", user->id,
                             user->password_hash);
  }
  auto roles = co_await roles_of(*svc.db, user->id);
  auto allowed = co_await scopes_of(*svc.db, roles);
  auto scopes = grant_scopes(requested, allowed);
  const std::string family = auth::random_token(16);
  std::optional<std::string> client_id;
  if (g.client) client_id = g.client->client_id;
  std::optional<std::string> refresh;
  if (!g.client || allows(*g.client, "refresh_token")) {
    refresh = co_await create_refresh(*svc.db, family, user->id, client_id, join_spaces(scopes),
                                      svc.settings.refresh_ttl);
  }
  co_await audit(*svc.db, user->id, "login.success", key, g.ip, "", true);
  AccessClaims claims{user->id, client_id.value_or(""), user->email, user->full_name, roles, scopes,
                      family};
  auto at = co_await mint_access_token(svc, std::move(claims));
  co_return token_response(svc, at, refresh, scopes, g.cookie);
}

// A rotated token came back: it was stolen, or the client replays. Either way the whole
// sign-in is revoked (RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP §4.14). Always throws.
awaitable<void> reuse_detected(Service& svc, const RefreshRow& row, std::string ip) {
  const std::int64_t n = co_await revoke_family(*svc.db, row.family_id);
  co_await audit(*svc.db, row.user_id.value_or(row.client_id.value_or("anonymous")),
                 "token.reuse_detected", row.user_id.value_or(""), ip,
                 std::to_string(n) + " refresh tokens revoked", false);
  throw invalid_grant(
      "The refresh token was already used; every token of this sign-in is now revoked.");
}

awaitable<http::Response> refresh_grant(Service& svc, Grant g, std::optional<std::string> cookie) {
  auto token = g.form.get("refresh_token");
  bool from_cookie = false;
  if (!token && cookie) {
    token = cookie;
    from_cookie = true;
  }
  if (!token) {
    throw invalid_request("refresh_token is required (or the refresh cookie, in cookie mode).");
  }
  const auto requested = requested_scopes(g.form);
  std::optional<RefreshRow> row;
  if (token->size() <= kMaxRefreshToken) row = co_await find_refresh(*svc.db, *token);
  if (!row) throw invalid_grant("The refresh token is invalid or expired.");
  if (row->client_id && (!g.client || g.client->client_id != *row->client_id)) {
    throw invalid_grant("The refresh token was issued to another client.");
  }
  if (g.client && !allows(*g.client, "refresh_token")) {
    throw unauthorized_client("This client may not use the refresh_token grant.");
  }
  if (row->rotated && !row->revoked) co_await reuse_detected(svc, *row, g.ip);
  // Everything else that can refuse the request is checked before the token is spent, so
  // a request with a bad scope costs the client nothing.
  std::optional<UserRow> user;
  if (row->user_id) user = co_await find_user(*svc.db, *row->user_id);
  std::vector<std::string> roles, scopes;
  if (user && user->active) {
    // The roles may have changed since sign-in: the new token gets what the account may
    // have now, narrowed to what was granted then (and to what this request asks for).
    roles = co_await roles_of(*svc.db, user->id);
    auto allowed_now = co_await scopes_of(*svc.db, roles);
    std::vector<std::string> granted;
    for (const auto& s : split_spaces(row->scope)) {
      if (std::find(allowed_now.begin(), allowed_now.end(), s) != allowed_now.end()) {
        granted.push_back(s);
      }
    }
    scopes = grant_scopes(requested, granted);
  }
  const RefreshUse use = co_await use_refresh(*svc.db, *row, unix_now());
  if (use == RefreshUse::reused) co_await reuse_detected(svc, *row, g.ip);
  if (use != RefreshUse::ok) throw invalid_grant("The refresh token is invalid or expired.");
  if (!user || !user->active) {
    co_await revoke_family(*svc.db, row->family_id);
    throw invalid_grant("The account is disabled or gone.");
  }
  auto refresh = co_await create_refresh(*svc.db, row->family_id, user->id, row->client_id,
                                         join_spaces(scopes), svc.settings.refresh_ttl);
  AccessClaims claims{
      user->id,      row->client_id.value_or(""), user->email, user->full_name, roles, scopes,
      row->family_id};
  auto at = co_await mint_access_token(svc, std::move(claims));
  co_return token_response(svc, at, refresh, scopes, g.cookie || from_cookie);
}

awaitable<http::Response> client_credentials_grant(Service& svc, Grant g) {
  if (!g.client) {
    throw invalid_client(
        "client_credentials needs client authentication (HTTP Basic, or client_id and "
        "client_secret).");
  }
  if (!allows(*g.client, "client_credentials")) {
    throw unauthorized_client("This client may not use the client_credentials grant.");
  }
  auto scopes = grant_scopes(requested_scopes(g.form), split_spaces(g.client->scopes));
  AccessClaims claims{g.client->client_id,
                      g.client->client_id,
                      "",
                      g.client->name,
                      split_spaces(g.client->roles),
                      scopes,
                      ""};
  auto at = co_await mint_access_token(svc, std::move(claims));
  co_return token_response(svc, at, std::nullopt, scopes, false);
}

awaitable<http::Response> token_endpoint(Service& svc, http::Request& req) {
  Grant g;
  g.ip = client_ip(req, svc.settings.trust_forwarded_for);
  check_rate(svc.token_limiter, g.ip);
  g.form = read_form(req);
  auto grant = g.form.get("grant_type");
  if (!grant) throw invalid_request("grant_type is required.");
  g.cookie = cookie_delivery(g.form);
  auto creds = client_credentials(req, g.form);
  if (creds) g.client = co_await authenticate_client(*svc.db, *creds);
  if (*grant == "password") co_return co_await password_grant(svc, std::move(g));
  if (*grant == "refresh_token") {
    auto cookie = cookie_token(svc, req);
    co_return co_await refresh_grant(svc, std::move(g), std::move(cookie));
  }
  if (*grant == "client_credentials") {
    co_return co_await client_credentials_grant(svc, std::move(g));
  }
  throw unsupported_grant_type("grant_type must be password, refresh_token or client_credentials.");
}

// Revocation and introspection read the same form: a token, an optional hint, client auth.
struct TokenParams {
  std::string token;
  std::optional<ClientRow> client;
};

awaitable<TokenParams> read_token_form(Service& svc, http::Request& req, bool client_required) {
  Form form = read_form(req);
  auto token = form.get("token");
  if (!token) throw invalid_request("token is required.");
  if (auto hint = form.get("token_type_hint");
      hint && *hint != "access_token" && *hint != "refresh_token") {
    throw invalid_request("token_type_hint must be access_token or refresh_token.");
  }
  auto creds = client_credentials(req, form);
  if (!creds && client_required) {
    throw invalid_client("Introspection needs client authentication.");
  }
  TokenParams out{*token, std::nullopt};
  if (creds) out.client = co_await authenticate_client(*svc.db, *creds);
  co_return out;
}

// The access token's principal, or nullopt for anything that does not verify.
awaitable<std::optional<auth::Principal>> try_access_token(Service& svc, std::string token) {
  std::optional<auth::Principal> p;
  try {
    p = co_await verify_access_token(svc, std::move(token));
  } catch (const auth::TokenError&) {
  }
  co_return p;
}

bool owned_by(const std::optional<std::string>& token_client,
              const std::optional<ClientRow>& caller) {
  return !token_client || (caller && caller->client_id == *token_client);
}

awaitable<http::Response> revoke_endpoint(Service& svc, http::Request& req) {
  const std::string ip = client_ip(req, svc.settings.trust_forwarded_for);
  TokenParams f = co_await read_token_form(svc, req, false);
  std::optional<RefreshRow> row;
  if (f.token.size() <= kMaxRefreshToken) row = co_await find_refresh(*svc.db, f.token);
  std::string actor = f.client ? f.client->client_id : "anonymous";
  std::optional<auth::Principal> p;
  if (!row) p = co_await try_access_token(svc, f.token);
  if (row) {
    // A client may revoke only what was issued to it (RFC 7009 §2.1); anything else is
    // answered alike, so the endpoint is no oracle for which tokens exist.
    if (owned_by(row->client_id, f.client)) {
      co_await revoke_family(*svc.db, row->family_id);
      co_await audit(*svc.db, row->user_id.value_or(actor), "token.revoke",
                     row->user_id.value_or(""), ip, "refresh token family", true);
    }
  } else if (p) {
    std::optional<std::string> token_client;
    if (!p->client_id.empty()) token_client = p->client_id;
    if (owned_by(token_client, f.client) && !p->token_id.empty()) {
      auto exp = std::chrono::duration_cast<std::chrono::seconds>(p->expires_at.time_since_epoch())
                     .count();
      co_await revoke_access_token(*svc.db, p->token_id, exp);
      co_await audit(*svc.db, p->subject, "token.revoke", p->subject, ip, "access token", true);
    }
  }
  http::Response r = http::Response::empty(200);
  co_return no_store(r);
}

awaitable<http::Response> introspect_endpoint(Service& svc, http::Request& req) {
  TokenParams f = co_await read_token_form(svc, req, true);
  json::object out{{"active", false}};
  std::optional<RefreshRow> row;
  if (f.token.size() <= kMaxRefreshToken) row = co_await find_refresh(*svc.db, f.token);
  std::optional<auth::Principal> p;
  if (!row) p = co_await try_access_token(svc, f.token);
  if (row) {
    if (!row->rotated && !row->revoked && row->expires_at > unix_now()) {
      out = {{"active", true},
             {"token_type", "refresh_token"},
             {"scope", row->scope},
             {"sub", row->user_id.value_or("")},
             {"exp", row->expires_at},
             {"iat",
              std::chrono::duration_cast<std::chrono::seconds>(row->created_at.time_since_epoch())
                  .count()},
             {"iss", svc.settings.issuer}};
      if (row->client_id) out["client_id"] = *row->client_id;
    }
  } else if (p) {
    out = {{"active", true}, {"token_type", "access_token"}};
    for (const char* claim :
         {"scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "roles"}) {
      if (auto* v = p->claims.if_contains(claim)) out[claim] = *v;
    }
    if (!p->email.empty()) out["username"] = p->email;
  }
  http::Response r = http::Response::json(out);
  co_return no_store(r);
}

awaitable<http::Response> logout_endpoint(Service& svc, http::Request& req) {
  std::optional<std::string> token;
  if (!req.body().empty()) token = read_form(req).get("refresh_token");
  if (!token) token = cookie_token(svc, req);
  if (token && token->size() <= kMaxRefreshToken) {
    auto row = co_await find_refresh(*svc.db, *token);
    if (row && !row->client_id) {
      co_await revoke_family(*svc.db, row->family_id);
      co_await audit(*svc.db, row->user_id.value_or("anonymous"), "logout",
                     row->user_id.value_or(""), client_ip(req, svc.settings.trust_forwarded_for),
                     "", true);
    }
  }
  http::Response r = http::Response::empty(204);
  r.set_header("Set-Cookie", refresh_cookie(svc.settings, "", 0));
  co_return no_store(r);
}

// Runs an OAuth endpoint, answering its OAuthErrors in RFC 6749 form (other errors go on to
// the kit as problem+json: 429, 503, 500).
http::Handler oauth_handler(std::shared_ptr<Service> svc,
                            awaitable<http::Response> (*endpoint)(Service&, http::Request&)) {
  return [svc, endpoint](http::Request& req) -> awaitable<http::Response> {
    std::optional<OAuthError> error;
    try {
      co_return co_await endpoint(*svc, req);
    } catch (const OAuthError& e) {
      error = e;
    }
    co_return oauth_error_response(*error);
  };
}

void form_body(http::RouteBuilder& b) {
  b.route().request_content_type = "application/x-www-form-urlencoded";
}

}  // namespace

std::string refresh_cookie(const AuthSettings& s, const std::string& token, std::int64_t max_age) {
  return s.cookie_name + "=" + token + "; Path=" + s.cookie_path +
         "; Max-Age=" + std::to_string(max_age) + "; HttpOnly" +
         (s.cookie_secure ? "; Secure" : "") + "; SameSite=Strict";
}

void mount_token_routes(http::Router& r, std::shared_ptr<Service> svc) {
  auto token = r.post("/auth/token", oauth_handler(svc, token_endpoint));
  token.summary("Get tokens (OAuth 2.0 token endpoint)")
      .description(
          "RFC 6749 form: grant_type=password (username = email; what Swagger UI's Authorize "
          "sends), refresh_token (rotates the refresh token; a reused one revokes the whole "
          "sign-in) or client_credentials (HTTP Basic or client_id/client_secret). "
          "token_delivery=cookie puts the refresh token in an HttpOnly cookie instead of the "
          "body. Errors are RFC 6749 §5.2 JSON. Rate-limited per client IP.")
      .body<TokenForm>()
      .returns<TokenResponse>(200, "Tokens")
      .returns<OAuthErrorResponse>(
          400, "invalid_request, invalid_grant, invalid_scope, unsupported_grant_type")
      .returns<OAuthErrorResponse>(401, "invalid_client")
      .returns(429, "Too many requests from this address");
  form_body(token);

  auto revoke = r.post("/auth/revoke", oauth_handler(svc, revoke_endpoint));
  revoke.summary("Revoke a token (RFC 7009)")
      .description(
          "A refresh token revokes its whole sign-in; an access token is listed as revoked "
          "until it expires (introspection and this service's routes refuse it; other "
          "services verify signatures only). Always 200 for tokens that are unknown.")
      .body<TokenRequest>()
      .returns(200, "Revoked, or nothing to revoke")
      .returns<OAuthErrorResponse>(400, "invalid_request")
      .returns<OAuthErrorResponse>(401, "invalid_client");
  form_body(revoke);

  auto introspect = r.post("/auth/introspect", oauth_handler(svc, introspect_endpoint));
  introspect.summary("Introspect a token (RFC 7662; client authentication required)")
      .body<TokenRequest>()
      .returns_content(200, "{active: false} or the token's claims", "application/json")
      .returns<OAuthErrorResponse>(400, "invalid_request")
      .returns<OAuthErrorResponse>(401, "invalid_client");
  form_body(introspect);

  auto logout = r.post("/auth/logout", oauth_handler(svc, logout_endpoint));
  logout.summary("Sign out: revoke the refresh token (cookie or form) and clear the cookie")
      .body<LogoutForm>()
      .returns(204, "Signed out");
  form_body(logout);
}

}  // namespace mmx::auth_service
