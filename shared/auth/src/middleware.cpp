#include "mmx/auth/middleware.hpp"

#include <array>
#include <cctype>

#include "mmx/auth/secrets.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/http/route.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::auth {

namespace {

// The last bearer token a connection presented and the principal it proved.
struct LastToken {
  std::string token;
  std::shared_ptr<const Principal> principal;
};

using http::AuthRequirement;
using http::awaitable;
using KeysPtr = std::shared_ptr<const KeySet>;

// RFC 6750 §3: error_description and scope may not hold '"' or '\' (or controls).
std::string quoted_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u > 0x7e || c == '"' || c == '\\') ? '\'' : c;
  }
  return out;
}

std::string challenge(std::string_view error = {}, std::string_view description = {},
                      std::string_view scope = {}) {
  std::string h = "Bearer realm=\"" + std::string(kRealm) + "\"";
  if (!error.empty()) h += ", error=\"" + std::string(error) + "\"";
  if (!description.empty()) h += ", error_description=\"" + quoted_safe(description) + "\"";
  if (!scope.empty()) h += ", scope=\"" + quoted_safe(scope) + "\"";
  return h;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

errors::HttpError missing_token(std::string detail) {
  return std::move(errors::unauthorized(std::move(detail), challenge())
                       .with_type("urn:micromax:problem:unauthorized"));
}

errors::HttpError invalid_token(const TokenError& e) {
  return std::move(errors::unauthorized(std::string(e.what()) + ".",
                                        challenge("invalid_token", e.what()))
                       .with_type("urn:micromax:problem:invalid-token"));
}

errors::HttpError insufficient(std::string detail, const std::vector<std::string>& scopes) {
  return std::move(
      errors::forbidden(detail)
          .with_header("WWW-Authenticate", challenge("insufficient_scope", detail, join(scopes, " ")))
          .with_type("urn:micromax:problem:insufficient-scope"));
}

enum Outcome { allowed, allowed_api_key, missing, invalid, forbidden, unavailable, kOutcomes };
constexpr const char* kOutcomeNames[] = {"allowed", "allowed_api_key", "missing",
                                         "invalid", "forbidden",       "unavailable"};

class AuthMiddleware final : public http::Middleware {
 public:
  explicit AuthMiddleware(MiddlewareOptions o) : o_(std::move(o)) {
    if (!o_.verifier || !o_.keys) throw std::invalid_argument("auth middleware needs a verifier and keys");
    if (o_.metrics) {
      auto& f = o_.metrics->counter("auth_requests_total",
                                    "Requests to protected routes, by what the auth middleware decided.",
                                    {"outcome"});
      for (int i = 0; i < kOutcomes; ++i) counters_[i] = &f.with({kOutcomeNames[i]});
    }
  }

  // Not a coroutine: public routes cost one call, not a frame.
  awaitable<http::Response> handle(http::Request& req, http::Next next) override {
    const http::Route* r = req.route();
    if (!r || r->auth.kind == AuthRequirement::Kind::none) return next(req);
    if (r->auth.kind == AuthRequirement::Kind::optional && !req.header("Authorization")) {
      return next(req);
    }
    return check(req, next);
  }

 private:
  void count(Outcome o) const {
    if (counters_[o]) counters_[o]->inc();
  }

  [[noreturn]] void reject(Outcome o, errors::HttpError e) const {
    count(o);
    throw std::move(e);
  }

  awaitable<KeysPtr> await_keys() const {
    try {
      co_return co_await o_.keys->keys();
    } catch (const JwksUnavailable& e) {
      count(unavailable);
      throw errors::service_unavailable(
          "Cannot verify the token: " + std::string(e.what()) + ".", e.retry_after_seconds());
    }
  }

  awaitable<KeysPtr> await_refresh(KeysPtr seen) const {
    try {
      co_return co_await o_.keys->refresh_for_unknown_kid(std::move(seen));
    } catch (const JwksUnavailable& e) {
      count(unavailable);
      throw errors::service_unavailable(
          "Cannot verify the token: " + std::string(e.what()) + ".", e.retry_after_seconds());
    }
  }

  std::shared_ptr<const Principal> api_key_principal(const http::Route& r,
                                                     std::string_view presented) const {
    std::optional<std::string> key = o_.api_key ? o_.api_key(r.module) : std::nullopt;
    if (!key || key->empty()) {
      reject(invalid, missing_token("This service accepts no API key; send a bearer token."));
    }
    if (!constant_time_equals(presented, *key)) reject(invalid, missing_token("Invalid API key."));
    auto p = std::make_shared<Principal>();
    p->subject = "api-key:" + r.module;
    p->client_id = r.module;
    p->is_service = true;
    p->expires_at = std::chrono::system_clock::time_point::max();
    return p;
  }

  void authorize(const AuthRequirement& need, const Principal& p) const {
    switch (need.kind) {
      case AuthRequirement::Kind::none:
      case AuthRequirement::Kind::optional:
      case AuthRequirement::Kind::authenticated:
        return;
      case AuthRequirement::Kind::scope:
        for (const auto& s : need.values) {
          if (!p.has_scope(s)) {
            reject(forbidden, insufficient("The token lacks the scope " + s + ".", need.values));
          }
        }
        return;
      case AuthRequirement::Kind::role:
        for (const auto& role : need.values) {
          if (p.has_role(role)) return;
        }
        reject(forbidden, insufficient("This route needs one of the roles: " +
                                           join(need.values, ", ") + ".",
                                       {}));
      case AuthRequirement::Kind::service:
        if (!p.is_service) {
          reject(forbidden, insufficient("This route is for services: a client_credentials token "
                                         "or the service's API key.",
                                         need.values));
        }
        for (const auto& s : need.values) {
          if (!p.has_scope(s)) {
            reject(forbidden, insufficient("The token lacks the scope " + s + ".", need.values));
          }
        }
        return;
    }
  }

  awaitable<http::Response> check(http::Request& req, http::Next next) const {
    const http::Route& route = *req.route();
    std::shared_ptr<const Principal> p;
    if (route.auth.kind == AuthRequirement::Kind::service) {
      if (auto presented = req.header(kApiKeyHeader)) p = api_key_principal(route, *presented);
    }
    if (!p) {
      auto authz = req.header("Authorization");
      std::optional<std::string_view> token = authz ? bearer_token(*authz) : std::nullopt;
      if (!token) reject(missing, missing_token("A bearer token is required."));

      // A keep-alive client sends the same token again and again: comparing it with the
      // last one this connection proved is cheaper than hashing it for the cache. (The
      // token sits in this connection's buffers anyway.)
      // It is part of the verified-token cache: off when the cache is.
      LastToken* last = nullptr;
      auto* conn = req.connection_state();
      if (conn && o_.verifier->cache().capacity() > 0) {
        last = &conn->get_or_create<LastToken>();
        if (last->principal && last->token == *token &&
            last->principal->expires_at > o_.verifier->now()) {
          p = last->principal;
          o_.verifier->count_cache_hit();
        }
      }
      std::optional<TokenError> err;
      KeysPtr keys;
      if (!p) {
        keys = o_.keys->try_keys();
        if (!keys) keys = co_await await_keys();
        try {
          p = o_.verifier->verify_cached(*token, *keys);
        } catch (const TokenError& e) {
          err = e;
        }
      }
      if (err && err->kind() == TokenErrorKind::unknown_key) {
        KeysPtr fresh = co_await await_refresh(keys);
        if (fresh && fresh != keys) {
          err.reset();
          try {
            p = o_.verifier->verify_cached(*token, *fresh);
          } catch (const TokenError& e) {
            err = e;
          }
        }
      }
      if (err) reject(invalid, invalid_token(*err));
      if (last && last->principal != p) {
        last->token.assign(token->data(), token->size());
        last->principal = p;
      }
      authorize(route.auth, *p);
      count(allowed);
    } else {
      count(allowed_api_key);
    }
    req.set_attribute(std::const_pointer_cast<Principal>(p));
    co_return co_await next(req);
  }

  MiddlewareOptions o_;
  std::array<metrics::Counter*, kOutcomes> counters_{};
};

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  if (!iequals_prefix(authorization, "bearer ")) return std::nullopt;
  std::string_view t = authorization.substr(7);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (t.empty() || t.find(' ') != std::string_view::npos) return std::nullopt;
  return t;
}

std::shared_ptr<http::Middleware> make_auth_middleware(MiddlewareOptions options) {
  return std::make_shared<AuthMiddleware>(std::move(options));
}

}  // namespace mmx::auth
