#include "mmx/auth/verifier.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <optional>

#include "mmx/auth/jwt.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::auth {

namespace json = boost::json;
using Clock = std::chrono::system_clock;

namespace {

constexpr std::size_t kKinds = static_cast<std::size_t>(TokenErrorKind::revoked) + 1;

[[noreturn]] void fail(TokenErrorKind kind, std::string message) {
  throw TokenError(kind, message);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// NumericDates are clamped to what system_clock (int64 nanoseconds, until 2262) can hold,
// so arithmetic with the leeway never overflows and exp converts to a time_point.
constexpr std::int64_t kMaxDate = 9'000'000'000;  // year 2255

// A NumericDate claim in whole seconds; nullopt when absent. Throws malformed when present
// but not a number.
std::optional<std::int64_t> numeric_date(const json::object& p, std::string_view name) {
  const json::value* v = p.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return std::clamp<std::int64_t>(v->as_int64(), -kMaxDate, kMaxDate);
  if (v->is_uint64()) return kMaxDate;  // only values above INT64_MAX parse as uint64
  if (v->is_double() && std::isfinite(v->as_double())) {
    double d = std::clamp(v->as_double(), -static_cast<double>(kMaxDate), static_cast<double>(kMaxDate));
    return static_cast<std::int64_t>(std::floor(d));
  }
  fail(TokenErrorKind::malformed, "malformed token: claim " + std::string(name) + " is not a number");
}

void add_unique(std::vector<std::string>& out, std::string_view v) {
  if (v.empty()) return;
  if (std::find(out.begin(), out.end(), v) == out.end()) out.emplace_back(v);
}

void add_words(std::vector<std::string>& out, std::string_view s) {
  while (!s.empty()) {
    auto sp = s.find(' ');
    add_unique(out, s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
}

// An array of strings (other entries ignored) or a space-separated string.
void add_list(std::vector<std::string>& out, const json::value* v) {
  if (!v) return;
  if (v->is_string()) {
    add_words(out, v->as_string());
  } else if (v->is_array()) {
    for (const auto& e : v->as_array()) {
      if (e.is_string()) add_unique(out, e.as_string());
    }
  }
}

const json::value* path(const json::object& o, std::string_view a, std::string_view b) {
  const json::value* v = o.if_contains(a);
  if (!v || !v->is_object()) return nullptr;
  return v->as_object().if_contains(b);
}

std::string string_claim(const json::object& p, std::string_view name) {
  const json::value* v = p.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

struct TokenVerifier::Metrics {
  std::array<metrics::Counter*, kKinds> failed{};
  metrics::Counter* ok = nullptr;
  metrics::Counter* hit = nullptr;
  metrics::Counter* miss = nullptr;
};

TokenVerifier::TokenVerifier(VerifierOptions options, metrics::Registry* registry)
    : options_(std::move(options)),
      cache_(std::make_unique<VerifiedTokenCache>(options_.cache_entries)) {
  if (registry) {
    metrics_ = std::make_unique<Metrics>();
    auto& v = registry->counter("auth_token_verifications_total",
                                "Bearer tokens verified in full (signature and claims), by outcome.",
                                {"outcome"});
    metrics_->ok = &v.with({"ok"});
    for (std::size_t i = 0; i < kKinds; ++i) {
      metrics_->failed[i] = &v.with({to_string(static_cast<TokenErrorKind>(i))});
    }
    auto& c = registry->counter("auth_token_cache_total",
                                "Verified-token cache look-ups, by result.", {"result"});
    metrics_->hit = &c.with({"hit"});
    metrics_->miss = &c.with({"miss"});
  }
}

TokenVerifier::~TokenVerifier() = default;

Clock::time_point TokenVerifier::now() const {
  return options_.clock ? options_.clock() : Clock::now();
}

Principal TokenVerifier::verify(std::string_view token, const KeySet& keys) const {
  verifications_.fetch_add(1, std::memory_order_relaxed);
  try {
    if (token.empty()) fail(TokenErrorKind::missing, "no bearer token");
    if (token.size() > options_.max_token_bytes) {
      fail(TokenErrorKind::too_large,
           "token is longer than " + std::to_string(options_.max_token_bytes) + " bytes");
    }
    DecodedJwt jwt = decode_jwt(token);
    const json::object& h = jwt.header;

    // The algorithm is pinned: what the header claims selects nothing.
    const json::value* alg = h.if_contains("alg");
    if (!alg || !alg->is_string() || alg->as_string() != "RS256") {
      fail(TokenErrorKind::unsupported_algorithm, "unsupported token algorithm (only RS256 is accepted)");
    }
    if (h.contains("crit")) {
      fail(TokenErrorKind::unsupported_algorithm, "token header has critical extensions we do not support");
    }
    if (const json::value* typ = h.if_contains("typ")) {
      if (!typ->is_string() ||
          !(iequals(typ->as_string(), "JWT") || iequals(typ->as_string(), "at+jwt") ||
            iequals(typ->as_string(), "application/at+jwt"))) {
        fail(TokenErrorKind::malformed, "malformed token: typ is not JWT or at+jwt");
      }
    }
    const json::value* kid = h.if_contains("kid");
    if (!kid || !kid->is_string() || kid->as_string().empty()) {
      fail(TokenErrorKind::unknown_key, "token header has no kid");
    }
    const PublicKey* key = keys.find(kid->as_string());
    if (!key) fail(TokenErrorKind::unknown_key, "token signed with a key the issuer does not list");
    if (!key->verify_rs256(jwt.signing_input, jwt.signature)) {
      fail(TokenErrorKind::bad_signature, "token signature is invalid");
    }

    // Claims only after the signature: an unsigned token learns nothing about them.
    const json::object& p = jwt.payload;
    const json::value* iss = p.if_contains("iss");
    if (!iss || !iss->is_string() || iss->as_string() != options_.issuer) {
      fail(TokenErrorKind::wrong_issuer, "token was not issued by " + options_.issuer);
    }
    if (!options_.audiences.empty()) {
      std::vector<std::string> aud;
      add_list(aud, p.if_contains("aud"));
      // A string aud is one audience even with spaces in it.
      if (const json::value* a = p.if_contains("aud"); a && a->is_string()) {
        aud.assign(1, std::string(a->as_string()));
      }
      bool match = std::any_of(aud.begin(), aud.end(), [&](const std::string& a) {
        return std::find(options_.audiences.begin(), options_.audiences.end(), a) !=
               options_.audiences.end();
      });
      if (!match) {
        std::string want;
        for (const auto& a : options_.audiences) want += (want.empty() ? "" : " or ") + a;
        fail(TokenErrorKind::wrong_audience, "token audience does not include " + want);
      }
    }
    const auto t_now = Clock::to_time_t(now());
    const std::int64_t now_s = static_cast<std::int64_t>(t_now);
    const std::int64_t leeway = options_.leeway.count();
    auto exp = numeric_date(p, "exp");
    if (!exp) fail(TokenErrorKind::malformed, "malformed token: no exp claim");
    if (now_s >= *exp + leeway) fail(TokenErrorKind::expired, "token has expired");
    if (auto nbf = numeric_date(p, "nbf"); nbf && now_s + leeway < *nbf) {
      fail(TokenErrorKind::not_yet_valid, "token is not valid yet (nbf)");
    }
    if (auto iat = numeric_date(p, "iat"); iat && now_s + leeway < *iat) {
      fail(TokenErrorKind::not_yet_valid, "token was issued in the future (iat)");
    }
    const json::value* sub = p.if_contains("sub");
    if (!sub || !sub->is_string() || sub->as_string().empty()) {
      fail(TokenErrorKind::malformed, "malformed token: no sub claim");
    }

    Principal pr;
    pr.subject = std::string(sub->as_string());
    pr.client_id = string_claim(p, "client_id");
    if (pr.client_id.empty()) pr.client_id = string_claim(p, "azp");
    if (pr.client_id.empty()) pr.client_id = string_claim(p, "clientId");
    if (const json::value* s = p.if_contains("scope")) {
      add_list(pr.scopes, s);
    } else {
      add_list(pr.scopes, p.if_contains("scp"));
    }
    add_list(pr.roles, p.if_contains("roles"));
    add_list(pr.roles, path(p, "realm_access", "roles"));
    if (const json::value* ra = p.if_contains("resource_access"); ra && ra->is_object()) {
      for (const auto& aud : options_.audiences) {
        add_list(pr.roles, path(ra->as_object(), aud, "roles"));
      }
    }
    pr.token_id = string_claim(p, "jti");
    pr.expires_at = Clock::from_time_t(static_cast<std::time_t>(*exp));
    const std::string cid = string_claim(p, "client_id");
    pr.is_service = (!cid.empty() && cid == pr.subject) ||
                    string_claim(p, "preferred_username").starts_with("service-account-");
    pr.email = string_claim(p, "email");
    pr.name = string_claim(p, "name");
    pr.claims = std::move(jwt.payload);
    if (metrics_) metrics_->ok->inc();
    return pr;
  } catch (const TokenError& e) {
    if (metrics_) metrics_->failed[static_cast<std::size_t>(e.kind())]->inc();
    throw;
  }
}

void TokenVerifier::count_cache_hit() const {
  if (metrics_) metrics_->hit->inc();
}

std::shared_ptr<const Principal> TokenVerifier::verify_cached(std::string_view token,
                                                              const KeySet& keys) const {
  if (cache_->capacity() == 0 || token.size() > options_.max_token_bytes) {
    return std::make_shared<const Principal>(verify(token, keys));
  }
  const auto key = VerifiedTokenCache::key(token);
  const auto t = now();
  if (auto hit = cache_->find(key, t)) {
    if (metrics_) metrics_->hit->inc();
    return hit;
  }
  if (metrics_) metrics_->miss->inc();
  auto p = std::make_shared<const Principal>(verify(token, keys));
  cache_->insert(key, p, t);
  return p;
}

}  // namespace mmx::auth
