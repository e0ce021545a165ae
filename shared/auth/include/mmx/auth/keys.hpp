#pragma once
// RSA keys for RS256. OpenSSL stays behind the pimpl. Both classes are cheap to copy (they
// share one immutable key) and safe to use from many threads at once: every sign or verify
// call uses its own OpenSSL context.
#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace mmx::auth {

// A verifying key: an RSA public key of at least 2048 bits.
class PublicKey {
 public:
  // From a JWK object {kty:"RSA", n, e}. Throws std::invalid_argument (not RSA, bad
  // base64url, modulus under 2048 bits).
  static PublicKey from_jwk(const boost::json::object& jwk);
  // From a SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"). Throws
  // std::invalid_argument.
  static PublicKey from_pem(std::string_view public_pem);

  // RSASSA-PKCS1-v1_5 with SHA-256 over `signing_input`; false for any mismatch.
  bool verify_rs256(std::string_view signing_input, std::string_view signature) const;
  std::string public_pem() const;
  // {kty:"RSA", n, e} (base64url, big-endian, no leading zeros); no kid/use/alg.
  boost::json::object jwk() const;
  int bits() const;

  struct Impl;
  explicit PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

// A signing key: RSA private key plus the kid that names it in JWKS and token headers.
class SigningKey {
 public:
  // A fresh key (RSA-2048 takes ~50-200 ms: call it off the io threads).
  static SigningKey generate(std::string kid, int bits = 2048);
  // From a PKCS#8 or PKCS#1 PEM private key. Throws std::invalid_argument (not a PEM private
  // key, not RSA, under 2048 bits); the message never contains key material.
  static SigningKey from_pem(std::string kid, std::string_view private_pem);

  const std::string& kid() const;
  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), unencrypted: store it as a secret.
  std::string private_pem() const;
  // {kty:"RSA", kid, use:"sig", alg:"RS256", n, e}: the entry for the JWKS document.
  boost::json::object public_jwk() const;
  PublicKey public_key() const;
  // RSASSA-PKCS1-v1_5 SHA-256 signature (raw bytes) over `signing_input`.
  std::string sign_rs256(std::string_view signing_input) const;

  struct Impl;
  explicit SigningKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace mmx::auth
