#pragma once
// Keys (generated once per test binary: RSA generation is slow) and token forging for the
// auth suites.
#include <boost/json/serialize.hpp>
#include <chrono>
#include <string>

#include "mmx/auth/encoding.hpp"
#include "mmx/auth/jwks.hpp"
#include "mmx/auth/jwt.hpp"
#include "mmx/auth/keys.hpp"
#include "test_support.hpp"  // tests/unit/kit: mmx::test::run

namespace mmx::auth::test {

namespace json = boost::json;

inline const SigningKey& key_a() {
  static const SigningKey k = SigningKey::generate("key-a");
  return k;
}
inline const SigningKey& key_b() {
  static const SigningKey k = SigningKey::generate("key-b");
  return k;
}

inline constexpr const char* kIssuer = "http://127.0.0.1:8000";
inline constexpr const char* kAudience = "micromax";

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A user token as the auth service issues it, valid for 15 minutes from `now`.
inline json::object user_claims(std::int64_t now = unix_now()) {
  return json::object{{"iss", kIssuer},
                      {"sub", "user-42"},
                      {"aud", kAudience},
                      {"exp", now + 900},
                      {"iat", now},
                      {"nbf", now},
                      {"jti", "jti-1"},
                      {"scope", "items:read items:write"},
                      {"roles", json::array{"customer"}},
                      {"client_id", "web"},
                      {"email", "ada@example.com"},
                      {"name", "Ada"}};
}

inline json::object service_claims(std::int64_t now = unix_now()) {
  return json::object{{"iss", kIssuer},
                      {"sub", "data_pipelines"},
                      {"client_id", "data_pipelines"},
                      {"aud", kAudience},
                      {"exp", now + 900},
                      {"iat", now},
                      {"jti", "jti-svc"},
                      {"scope", "orders:read"},
                      {"roles", json::array{}}};
}

inline std::string b64json(const json::object& o) { return base64url_encode(json::serialize(o)); }

// A token with any header, signed by `key` (RS256) whatever the header says.
inline std::string forge(const json::object& header, const json::object& claims,
                         const SigningKey& key) {
  std::string input = b64json(header) + "." + b64json(claims);
  return input + "." + base64url_encode(key.sign_rs256(input));
}

inline KeySet keyset_of(std::initializer_list<const SigningKey*> keys) {
  json::array arr;
  for (const auto* k : keys) arr.push_back(k->public_jwk());
  return KeySet::parse(json::object{{"keys", std::move(arr)}});
}

using mmx::test::run;

}  // namespace mmx::auth::test
