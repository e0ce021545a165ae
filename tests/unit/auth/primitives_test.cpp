// base64url, secrets, RSA keys, JWT encoding, JWKS parsing, password hashing.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "auth_test_support.hpp"
#include "mmx/auth/errors.hpp"
#include "mmx/auth/password.hpp"
#include "mmx/auth/secrets.hpp"

using namespace mmx::auth;
namespace json = boost::json;
using mmx::auth::test::key_a;
using mmx::auth::test::key_b;

TEST(Base64Url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    auto enc = base64url_encode(bytes);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
    auto dec = base64url_decode(enc);
    ASSERT_TRUE(dec) << i;
    EXPECT_EQ(*dec, bytes);
    bytes += static_cast<char>(i * 37 + 250);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Base64Url, RejectsPaddingForeignCharactersAndStrayBits) {
  EXPECT_FALSE(base64url_decode("YQ=="));
  EXPECT_FALSE(base64url_decode("a+b/"));
  EXPECT_FALSE(base64url_decode("YWJj ZA"));
  EXPECT_FALSE(base64url_decode("Y"));     // impossible length
  EXPECT_TRUE(base64url_decode("YQ"));     // "a"
  EXPECT_FALSE(base64url_decode("YR"));    // same byte, non-zero trailing bits
  EXPECT_EQ(*base64url_decode(""), "");
}

TEST(Secrets, ConstantTimeEqualsAndRandomTokens) {
  EXPECT_TRUE(constant_time_equals("secret", "secret"));
  EXPECT_FALSE(constant_time_equals("secret", "secreT"));
  EXPECT_FALSE(constant_time_equals("secret", "secret2"));
  EXPECT_FALSE(constant_time_equals("", "x"));
  EXPECT_TRUE(constant_time_equals("", ""));
  auto a = random_token(), b = random_token();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(base64url_decode(a));
  EXPECT_EQ(random_token(16).size(), 22u);
}

TEST(Secrets, Sha256) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_base64url("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  EXPECT_EQ(sha256("abc").size(), 32u);
}

TEST(Keys, PemRoundTripAndJwk) {
  const SigningKey& k = key_a();
  EXPECT_EQ(k.kid(), "key-a");
  auto pem = k.private_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  SigningKey again = SigningKey::from_pem("key-a2", pem);
  EXPECT_EQ(again.kid(), "key-a2");
  auto jwk = k.public_jwk();
  EXPECT_EQ(jwk.at("kty"), "RSA");
  EXPECT_EQ(jwk.at("kid"), "key-a");
  EXPECT_EQ(jwk.at("use"), "sig");
  EXPECT_EQ(jwk.at("alg"), "RS256");
  EXPECT_EQ(jwk.at("e"), "AQAB");
  EXPECT_EQ(jwk.at("n"), again.public_jwk().at("n"));
  EXPECT_EQ(base64url_decode(jwk.at("n").as_string())->size(), 256u);

  auto sig = again.sign_rs256("hello");
  EXPECT_TRUE(k.public_key().verify_rs256("hello", sig));
  EXPECT_FALSE(k.public_key().verify_rs256("hellO", sig));
  EXPECT_FALSE(key_b().public_key().verify_rs256("hello", sig));
  EXPECT_TRUE(PublicKey::from_jwk(jwk).verify_rs256("hello", sig));
  EXPECT_TRUE(PublicKey::from_pem(k.public_key().public_pem()).verify_rs256("hello", sig));
  EXPECT_EQ(k.public_key().bits(), 2048);
}

TEST(Keys, RefusesWhatIsNotAnRsaPrivateKey) {
  EXPECT_THROW(SigningKey::from_pem("x", "not a pem"), std::invalid_argument);
  EXPECT_THROW(SigningKey::from_pem("x", key_a().public_key().public_pem()), std::invalid_argument);
  EXPECT_THROW(SigningKey::generate("x", 1024), std::invalid_argument);
  try {
    SigningKey::from_pem("x", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("AAAA"), std::string::npos);
  }
}

TEST(Jwt, SignAndDecode) {
  json::object claims{{"sub", "u1"}, {"n", 5}};
  auto token = sign_jwt(claims, key_a());
  auto d = decode_jwt(token);
  EXPECT_EQ(d.header.at("alg"), "RS256");
  EXPECT_EQ(d.header.at("typ"), "JWT");
  EXPECT_EQ(d.header.at("kid"), "key-a");
  EXPECT_EQ(d.payload, claims);
  EXPECT_EQ(d.signing_input, token.substr(0, token.rfind('.')));
  EXPECT_TRUE(key_a().public_key().verify_rs256(d.signing_input, d.signature));
}

TEST(Jwt, DecodeRefusesMalformedInputWithoutEchoingIt) {
  const std::string good = sign_jwt(json::object{{"sub", "u"}}, key_a());
  const std::string p0 = good.substr(0, good.find('.'));
  const std::string sig = good.substr(good.rfind('.') + 1);
  const std::string body = mmx::auth::test::b64json(json::object{{"sub", "u"}});
  const std::vector<std::string> bad = {
      "",
      "abc",
      "a.b",
      good + ".x",
      "!!!." + body + "." + sig,
      base64url_encode("{not json") + "." + body + "." + sig,
      base64url_encode("[1,2]") + "." + body + "." + sig,
      p0 + "." + base64url_encode("\"just a string\"") + "." + sig,
      p0 + "." + body + ".***",
      p0 + "." + body + "." + sig + "=",
  };
  for (const auto& t : bad) {
    try {
      decode_jwt(t);
      ADD_FAILURE() << t;
    } catch (const TokenError& e) {
      EXPECT_EQ(e.kind(), TokenErrorKind::malformed) << t;
      if (t.size() > 8) {
        EXPECT_EQ(std::string(e.what()).find(t), std::string::npos);
      }
    }
  }
}

TEST(Jwks, KeepsOnlyRs256RsaSigningKeys) {
  auto a = key_a().public_jwk();
  auto b = key_b().public_jwk();
  b.erase("alg");
  b.erase("use");
  auto enc = key_a().public_jwk();
  enc["kid"] = "enc";
  enc["use"] = "enc";
  auto ps = key_a().public_jwk();
  ps["kid"] = "ps";
  ps["alg"] = "PS256";
  auto nokid = key_a().public_jwk();
  nokid.erase("kid");
  json::object ec{{"kty", "EC"}, {"kid", "ec"}, {"crv", "P-256"}, {"x", "AA"}, {"y", "AA"}};
  json::object oct{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  json::object small{{"kty", "RSA"}, {"kid", "small"}, {"n", base64url_encode(std::string(64, '\xc5'))},
                     {"e", "AQAB"}};
  json::object garbage{{"kty", "RSA"}, {"kid", "garbage"}, {"n", "!!"}, {"e", "AQAB"}};
  json::object doc{{"keys", json::array{a, b, enc, ps, nokid, ec, oct, small, garbage, 42}}};
  KeySet set = KeySet::parse(json::serialize(doc));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.kids(), (std::vector<std::string>{"key-a", "key-b"}));
  EXPECT_NE(set.find("key-a"), nullptr);
  EXPECT_NE(set.find("key-b"), nullptr);
  for (const char* kid : {"enc", "ps", "ec", "hmac", "small", "garbage", "nope"}) {
    EXPECT_EQ(set.find(kid), nullptr) << kid;
  }
  EXPECT_EQ(set.skipped().size(), 8u);
  EXPECT_THROW(KeySet::parse("{}"), std::invalid_argument);
  EXPECT_THROW(KeySet::parse("[]"), std::invalid_argument);
  EXPECT_THROW(KeySet::parse("nope"), std::invalid_argument);
}

TEST(Password, HashVerifyAndRehash) {
  PasswordHashParams cheap{1024, 1, 1};  // tests only: fast
  auto phc = hash_password("correct horse", cheap);
  EXPECT_EQ(phc.rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0), 0u) << phc;
  EXPECT_TRUE(verify_password("correct horse", phc));
  EXPECT_FALSE(verify_password("correct horsE", phc));
  EXPECT_FALSE(verify_password("", phc));
  EXPECT_NE(hash_password("correct horse", cheap), phc);  // fresh salt
  EXPECT_FALSE(needs_rehash(phc, cheap));
  EXPECT_TRUE(needs_rehash(phc, PasswordHashParams{}));
  EXPECT_TRUE(needs_rehash(phc, PasswordHashParams{1024, 2, 1}));
  EXPECT_TRUE(needs_rehash(phc, PasswordHashParams{1024, 1, 2}));
}

TEST(Password, DefaultParametersAreOwaspMinimum) {
  auto phc = hash_password("pw");
  EXPECT_EQ(phc.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << phc;
  EXPECT_TRUE(verify_password("pw", phc));
  EXPECT_FALSE(needs_rehash(phc));
}

TEST(Password, MalformedPhcStringsNeverVerify) {
  const std::string good = hash_password("pw", {1024, 1, 1});
  const std::vector<std::string> bad = {
      "",
      "plain",
      "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=1024,t=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$t=1,m=1024,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=1024,t=1,p=1,x=2$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=1024,t=1,p=1$$aGFzaA",
      "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$",
      "$argon2id$v=19$m=1024,t=1,p=1$c2Fsd!NhbHQ$aGFzaA",
      good + "$",
  };
  for (const auto& phc : bad) {
    EXPECT_FALSE(verify_password("pw", phc)) << phc;
    EXPECT_TRUE(needs_rehash(phc, {1024, 1, 1})) << phc;
  }
  EXPECT_FALSE(verify_password("pw", good.substr(0, good.size() - 5)));  // truncated hash
}
