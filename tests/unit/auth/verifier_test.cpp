// TokenVerifier: every acceptance rule and every way a token is refused, the claims mapping
// (our auth service's shape and Keycloak's), and the verified-token cache.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <atomic>
#include <thread>

#include "auth_test_support.hpp"
#include "mmx/auth/verifier.hpp"
#include "mmx/metrics/metrics.hpp"

using namespace mmx::auth;
using namespace mmx::auth::test;
namespace json = boost::json;
using Clock = std::chrono::system_clock;

namespace {

struct VerifierTest : ::testing::Test {
  std::int64_t now_s = unix_now();
  std::atomic<std::int64_t> clock_s{now_s};
  KeySet keys = keyset_of({&key_a(), &key_b()});

  VerifierOptions options(std::size_t cache = 10000) {
    VerifierOptions o;
    o.issuer = kIssuer;
    o.audiences = {kAudience};
    o.cache_entries = cache;
    o.clock = [this] { return Clock::from_time_t(static_cast<std::time_t>(clock_s.load())); };
    return o;
  }

  TokenErrorKind refusal(const TokenVerifier& v, std::string_view token) {
    try {
      v.verify(token, keys);
    } catch (const TokenError& e) {
      // The message never echoes the token or a part of it.
      const std::string msg = e.what();
      EXPECT_FALSE(msg.empty());
      for (std::size_t i = 0; i + 16 <= token.size(); i += 16) {
        EXPECT_EQ(msg.find(token.substr(i, 16)), std::string::npos) << msg;
      }
      return e.kind();
    }
    ADD_FAILURE() << "token accepted";
    return TokenErrorKind::revoked;
  }

  std::string sign(const json::object& claims, const SigningKey& k = key_a()) {
    return sign_jwt(claims, k);
  }
};

std::string hs256(const json::object& header, const json::object& claims, std::string_view secret) {
  std::string input = b64json(header) + "." + b64json(claims);
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url_encode({reinterpret_cast<const char*>(mac), len});
}

}  // namespace

TEST_F(VerifierTest, AcceptsOurTokenAndMapsItsClaims) {
  TokenVerifier v(options());
  Principal p = v.verify(sign(user_claims(now_s)), keys);
  EXPECT_EQ(p.subject, "user-42");
  EXPECT_EQ(p.client_id, "web");
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"items:read", "items:write"}));
  EXPECT_EQ(p.roles, (std::vector<std::string>{"customer"}));
  EXPECT_TRUE(p.has_scope("items:read"));
  EXPECT_FALSE(p.has_scope("items"));
  EXPECT_TRUE(p.has_role("customer"));
  EXPECT_EQ(p.token_id, "jti-1");
  EXPECT_EQ(p.email, "ada@example.com");
  EXPECT_EQ(p.name, "Ada");
  EXPECT_FALSE(p.is_service);
  EXPECT_EQ(Clock::to_time_t(p.expires_at), now_s + 900);
  EXPECT_EQ(p.claims.at("sub"), "user-42");

  // Signed by the other key of the set, and with a service's claims.
  Principal s = v.verify(sign(service_claims(now_s), key_b()), keys);
  EXPECT_TRUE(s.is_service);
  EXPECT_EQ(s.client_id, "data_pipelines");
  EXPECT_TRUE(s.roles.empty());
}

TEST_F(VerifierTest, AcceptsAtJwtTypAndArrayAudienceAndScp) {
  TokenVerifier v(options());
  auto c = user_claims(now_s);
  c["aud"] = json::array{"other", kAudience};
  c.erase("scope");
  c["scp"] = json::array{"a", "b", "a"};
  for (const char* typ : {"JWT", "at+jwt", "application/at+JWT"}) {
    auto t = forge({{"alg", "RS256"}, {"typ", typ}, {"kid", "key-a"}}, c, key_a());
    EXPECT_EQ(v.verify(t, keys).scopes, (std::vector<std::string>{"a", "b"})) << typ;
  }
  auto no_typ = forge({{"alg", "RS256"}, {"kid", "key-a"}}, c, key_a());
  EXPECT_NO_THROW(v.verify(no_typ, keys));
  auto bad_typ = forge({{"alg", "RS256"}, {"typ", "JWE"}, {"kid", "key-a"}}, c, key_a());
  EXPECT_EQ(refusal(v, bad_typ), TokenErrorKind::malformed);
}

TEST_F(VerifierTest, KeycloakShapedToken) {
  auto o = options();
  o.issuer = "https://sso.example.com/realms/shop";
  TokenVerifier v(o);
  json::object c{{"iss", "https://sso.example.com/realms/shop"},
                 {"sub", "f1c6f7a2-3b0e-4d6c-9a51-0c2f3a1f9e10"},
                 {"aud", json::array{"micromax", "account"}},
                 {"azp", "shop-frontend"},
                 {"exp", now_s + 300},
                 {"iat", now_s},
                 {"auth_time", now_s},
                 {"jti", "6c2a"},
                 {"typ", "Bearer"},
                 {"session_state", "abc"},
                 {"scope", "openid email profile"},
                 {"realm_access", {{"roles", json::array{"offline_access", "staff"}}}},
                 {"resource_access",
                  {{"micromax", {{"roles", json::array{"admin"}}}},
                   {"account", {{"roles", json::array{"manage-account"}}}}}},
                 {"email", "bob@example.com"},
                 {"preferred_username", "bob"},
                 {"name", "Bob B"}};
  auto t = forge({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "key-a"}}, c, key_a());
  Principal p = v.verify(t, keys);
  EXPECT_EQ(p.client_id, "shop-frontend");
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"openid", "email", "profile"}));
  // realm roles and the roles of our audience's client; not another client's.
  EXPECT_EQ(p.roles, (std::vector<std::string>{"offline_access", "staff", "admin"}));
  EXPECT_FALSE(p.is_service);
  EXPECT_EQ(p.email, "bob@example.com");

  c["preferred_username"] = "service-account-pipelines";
  c["clientId"] = "pipelines";
  c.erase("azp");
  Principal s = v.verify(forge({{"alg", "RS256"}, {"kid", "key-a"}}, c, key_a()), keys);
  EXPECT_TRUE(s.is_service);
  EXPECT_EQ(s.client_id, "pipelines");
}

TEST_F(VerifierTest, ExpiryNotBeforeAndIssuedAtWithLeeway) {
  TokenVerifier v(options());  // leeway 30 s
  auto c = user_claims(now_s);
  c["exp"] = now_s;
  auto at_exp = sign(c);
  EXPECT_NO_THROW(v.verify(at_exp, keys));  // within leeway
  clock_s = now_s + 29;
  EXPECT_NO_THROW(v.verify(at_exp, keys));
  clock_s = now_s + 30;
  EXPECT_EQ(refusal(v, at_exp), TokenErrorKind::expired);
  clock_s = now_s + 3600;
  EXPECT_EQ(refusal(v, at_exp), TokenErrorKind::expired);

  clock_s = now_s;
  c = user_claims(now_s);
  c["nbf"] = now_s + 30;
  EXPECT_NO_THROW(v.verify(sign(c), keys));
  c["nbf"] = now_s + 31;
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::not_yet_valid);
  c = user_claims(now_s);
  c["iat"] = now_s + 31;
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::not_yet_valid);
  c["iat"] = now_s + 30.5;  // NumericDate may be fractional
  EXPECT_NO_THROW(v.verify(sign(c), keys));

  auto strict = options();
  strict.leeway = std::chrono::seconds(0);
  TokenVerifier sv(strict);
  c = user_claims(now_s);
  c["exp"] = now_s;
  EXPECT_EQ(refusal(sv, sign(c)), TokenErrorKind::expired);
  c["exp"] = now_s + 1;
  EXPECT_NO_THROW(sv.verify(sign(c), keys));
}

TEST_F(VerifierTest, ExpRequiredAndNumeric) {
  TokenVerifier v(options());
  auto c = user_claims(now_s);
  c.erase("exp");
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::malformed);
  c["exp"] = "tomorrow";
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::malformed);
  c = user_claims(now_s);
  c.erase("sub");
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::malformed);

  // Extreme dates neither overflow nor wrap around.
  c = user_claims(now_s);
  for (json::value huge : {json::value(INT64_MAX), json::value(UINT64_MAX), json::value(1e300)}) {
    c["exp"] = huge;
    Principal p = v.verify(sign(c), keys);
    EXPECT_GT(p.expires_at, Clock::now() + std::chrono::hours(24 * 365 * 100));
  }
  c["exp"] = INT64_MIN;
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::expired);
  c["exp"] = now_s + 60;
  c["nbf"] = -1e300;
  EXPECT_NO_THROW(v.verify(sign(c), keys));
}

TEST_F(VerifierTest, WrongIssuerAndAudience) {
  TokenVerifier v(options());
  auto c = user_claims(now_s);
  c["iss"] = "http://evil.example";
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::wrong_issuer);
  c.erase("iss");
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::wrong_issuer);
  c = user_claims(now_s);
  c["aud"] = "someone-else";
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::wrong_audience);
  c["aud"] = json::array{"a", "b"};
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::wrong_audience);
  c["aud"] = "micromax other";  // a string is one audience
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::wrong_audience);
  c.erase("aud");
  EXPECT_EQ(refusal(v, sign(c)), TokenErrorKind::wrong_audience);

  auto multi = options();
  multi.audiences = {"backend", "micromax"};
  c = user_claims(now_s);
  EXPECT_NO_THROW(TokenVerifier(multi).verify(sign(c), keys));
}

TEST_F(VerifierTest, TamperedPayloadAndSignature) {
  TokenVerifier v(options());
  const std::string good = sign(user_claims(now_s));
  const auto d1 = good.find('.'), d2 = good.rfind('.');
  auto c = user_claims(now_s);
  c["roles"] = json::array{"admin"};
  std::string tampered = good.substr(0, d1 + 1) + b64json(c) + good.substr(d2);
  EXPECT_EQ(refusal(v, tampered), TokenErrorKind::bad_signature);

  std::string sig = *base64url_decode(good.substr(d2 + 1));
  sig[10] = static_cast<char>(sig[10] ^ 1);
  EXPECT_EQ(refusal(v, good.substr(0, d2 + 1) + base64url_encode(sig)), TokenErrorKind::bad_signature);
  EXPECT_EQ(refusal(v, good.substr(0, d2 + 1)), TokenErrorKind::bad_signature);  // empty signature
  // Signed by key b but claiming key a.
  auto wrong_key = forge({{"alg", "RS256"}, {"kid", "key-a"}}, user_claims(now_s), key_b());
  EXPECT_EQ(refusal(v, wrong_key), TokenErrorKind::bad_signature);
}

TEST_F(VerifierTest, AlgorithmIsPinnedToRs256) {
  TokenVerifier v(options());
  const auto c = user_claims(now_s);
  // alg=none with and without a signature.
  std::string none = b64json({{"alg", "none"}, {"typ", "JWT"}}) + "." + b64json(c) + ".";
  EXPECT_EQ(refusal(v, none), TokenErrorKind::unsupported_algorithm);
  std::string none_kid = b64json({{"alg", "none"}, {"kid", "key-a"}}) + "." + b64json(c) + ".";
  EXPECT_EQ(refusal(v, none_kid), TokenErrorKind::unsupported_algorithm);
  // HS256 "signed" with the RSA public key (PEM and JWK bytes) as the HMAC secret.
  const json::object hs{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "key-a"}};
  EXPECT_EQ(refusal(v, hs256(hs, c, key_a().public_key().public_pem())),
            TokenErrorKind::unsupported_algorithm);
  EXPECT_EQ(refusal(v, hs256(hs, c, json::serialize(key_a().public_jwk()))),
            TokenErrorKind::unsupported_algorithm);
  EXPECT_EQ(refusal(v, hs256(hs, c, *base64url_decode(key_a().public_jwk().at("n").as_string()))),
            TokenErrorKind::unsupported_algorithm);
  for (const char* alg : {"ES256", "PS256", "RS512", "HS512", "rs256", "EdDSA", ""}) {
    EXPECT_EQ(refusal(v, forge({{"alg", alg}, {"kid", "key-a"}}, c, key_a())),
              TokenErrorKind::unsupported_algorithm)
        << alg;
  }
  EXPECT_EQ(refusal(v, forge({{"kid", "key-a"}}, c, key_a())), TokenErrorKind::unsupported_algorithm);
  EXPECT_EQ(refusal(v, forge({{"alg", 256}, {"kid", "key-a"}}, c, key_a())),
            TokenErrorKind::unsupported_algorithm);
  EXPECT_EQ(refusal(v, forge({{"alg", "RS256"}, {"kid", "key-a"}, {"crit", json::array{"exp"}}}, c,
                             key_a())),
            TokenErrorKind::unsupported_algorithm);
}

TEST_F(VerifierTest, UnknownAndMissingKid) {
  TokenVerifier v(options());
  const auto c = user_claims(now_s);
  SigningKey stranger = SigningKey::from_pem("key-z", key_b().private_pem());
  EXPECT_EQ(refusal(v, sign(c, stranger)), TokenErrorKind::unknown_key);
  EXPECT_EQ(refusal(v, forge({{"alg", "RS256"}}, c, key_a())), TokenErrorKind::unknown_key);
  EXPECT_EQ(refusal(v, forge({{"alg", "RS256"}, {"kid", ""}}, c, key_a())), TokenErrorKind::unknown_key);
  EXPECT_EQ(refusal(v, forge({{"alg", "RS256"}, {"kid", 7}}, c, key_a())), TokenErrorKind::unknown_key);
}

TEST_F(VerifierTest, MalformedAndOversizedTokens) {
  TokenVerifier v(options());
  const std::string good = sign(user_claims(now_s));
  const auto d1 = good.find('.');
  for (std::string t : {std::string("garbage"), std::string("a.b.c"), good.substr(0, good.rfind('.')),
                        "!" + good, base64url_encode("{\"alg\":") + good.substr(d1),
                        good.substr(0, d1 + 1) + "e30=" + good.substr(good.rfind('.'))}) {
    EXPECT_EQ(refusal(v, t), TokenErrorKind::malformed) << t;
  }
  EXPECT_EQ(refusal(v, ""), TokenErrorKind::missing);

  auto big = user_claims(now_s);
  big["pad"] = std::string(9000, 'x');
  EXPECT_EQ(refusal(v, sign(big)), TokenErrorKind::too_large);
  EXPECT_EQ(refusal(v, std::string(8193, 'a')), TokenErrorKind::too_large);
  auto roomy = options();
  roomy.max_token_bytes = 64 * 1024;
  EXPECT_NO_THROW(TokenVerifier(roomy).verify(sign(big), keys));
}

TEST_F(VerifierTest, CacheServesTheSameTokenWithoutVerifyingAgain) {
  mmx::metrics::Registry reg;
  TokenVerifier v(options(), &reg);
  const std::string t = sign(user_claims(now_s));
  auto p1 = v.verify_cached(t, keys);
  EXPECT_EQ(v.verifications(), 1u);
  auto p2 = v.verify_cached(t, keys);
  auto p3 = v.verify_cached(t, KeySet{});  // keys not even consulted on a hit
  EXPECT_EQ(v.verifications(), 1u);
  EXPECT_EQ(p1.get(), p2.get());
  EXPECT_EQ(p1.get(), p3.get());
  EXPECT_EQ(v.cache().size(), 1u);
  const std::string text = reg.render();
  EXPECT_NE(text.find("auth_token_cache_total{result=\"hit\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("auth_token_cache_total{result=\"miss\"} 1"), std::string::npos);
  EXPECT_NE(text.find("auth_token_verifications_total{outcome=\"ok\"} 1"), std::string::npos);

  // Failures are not cached.
  auto c = user_claims(now_s);
  c["aud"] = "x";
  const std::string bad = sign(c);
  EXPECT_THROW(v.verify_cached(bad, keys), TokenError);
  EXPECT_THROW(v.verify_cached(bad, keys), TokenError);
  EXPECT_EQ(v.verifications(), 3u);
  EXPECT_NE(reg.render().find("auth_token_verifications_total{outcome=\"wrong_audience\"} 2"),
            std::string::npos);
}

TEST_F(VerifierTest, CachedEntryDiesAtExp) {
  auto o = options();
  o.leeway = std::chrono::seconds(0);
  TokenVerifier v(o);
  auto c = user_claims(now_s);
  c["exp"] = now_s + 10;
  const std::string t = sign(c);
  v.verify_cached(t, keys);
  clock_s = now_s + 9;
  v.verify_cached(t, keys);
  EXPECT_EQ(v.verifications(), 1u);
  clock_s = now_s + 10;
  try {
    v.verify_cached(t, keys);
    FAIL() << "expired token served from the cache";
  } catch (const TokenError& e) {
    EXPECT_EQ(e.kind(), TokenErrorKind::expired);
  }
  EXPECT_EQ(v.verifications(), 2u);
  EXPECT_EQ(v.cache().size(), 0u);
}

TEST_F(VerifierTest, CacheDisabled) {
  TokenVerifier v(options(0));
  const std::string t = sign(user_claims(now_s));
  v.verify_cached(t, keys);
  v.verify_cached(t, keys);
  EXPECT_EQ(v.verifications(), 2u);
}

TEST(TokenCache, BoundedAndEvictsExpiredFirst) {
  VerifiedTokenCache cache(8, 1);
  const auto now = Clock::now();
  auto principal = [&](int ttl) {
    auto p = std::make_shared<Principal>();
    p->expires_at = now + std::chrono::seconds(ttl);
    return p;
  };
  for (int i = 0; i < 8; ++i) {
    cache.insert(VerifiedTokenCache::key("t" + std::to_string(i)), principal(100 + i), now);
  }
  EXPECT_EQ(cache.size(), 8u);
  cache.insert(VerifiedTokenCache::key("t8"), principal(500), now);
  EXPECT_EQ(cache.size(), 8u);
  EXPECT_EQ(cache.find(VerifiedTokenCache::key("t0"), now), nullptr);  // closest to expiry
  EXPECT_NE(cache.find(VerifiedTokenCache::key("t8"), now), nullptr);
  EXPECT_NE(cache.find(VerifiedTokenCache::key("t1"), now), nullptr);
  // Later, entries 1..7 have expired: the next insert clears them all.
  const auto later = now + std::chrono::seconds(200);
  cache.insert(VerifiedTokenCache::key("t9"), principal(1000), later);
  EXPECT_EQ(cache.size(), 2u);
  // Already expired: not cached.
  cache.insert(VerifiedTokenCache::key("old"), principal(-1), now);
  EXPECT_EQ(cache.find(VerifiedTokenCache::key("old"), now), nullptr);
}

TEST_F(VerifierTest, ConcurrentVerificationFromSeveralThreads) {
  TokenVerifier v(options(64));
  std::vector<std::string> tokens;
  for (int i = 0; i < 16; ++i) {
    auto c = user_claims(now_s);
    c["sub"] = "user-" + std::to_string(i);
    tokens.push_back(sign(c, i % 2 ? key_a() : key_b()));
  }
  auto bad = user_claims(now_s);
  bad["iss"] = "nope";
  const std::string bad_token = sign(bad);
  std::atomic<int> ok{0}, refused{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 400; ++i) {
        const auto k = static_cast<std::size_t>((i * 7 + t) % 16);
        auto p = v.verify_cached(tokens[k], keys);
        if (p->subject == "user-" + std::to_string(k)) ++ok; else ++wrong;
        if (i % 50 == 0) {
          try {
            v.verify_cached(bad_token, keys);
          } catch (const TokenError&) {
            ++refused;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1600);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(refused.load(), 32);
  // At most a few threads raced on a token's first verification; nothing near 1600.
  EXPECT_LE(v.verifications(), 16u * 4u + 32u);
}
