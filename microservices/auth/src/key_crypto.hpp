#pragma once
// Encryption at rest of the signing keys' private PEMs: AES-256-GCM with a key derived from
// MMX_AUTH_KEY_ENCRYPTION_KEY (SHA-256 of a label and the secret: the secret is expected to
// be random, as scripts/gen-secret.sh makes it). The row's kid is authenticated data, so a
// ciphertext copied onto another row does not open. Stored as "v1:" + base64url(nonce | ct |
// tag). A database dump alone therefore holds no usable signing key.
#include <string>
#include <string_view>

namespace mmx::auth_service {

class KeyCrypto {
 public:
  // "" = the fixed development key (settings refuse that outside MMX_ENV=local).
  explicit KeyCrypto(std::string_view secret);
  std::string seal(std::string_view plaintext, std::string_view aad) const;
  // Throws std::runtime_error when the text was sealed with another key, for another kid,
  // or altered.
  std::string open(std::string_view sealed, std::string_view aad) const;

 private:
  std::string key_;  // 32 bytes
};

}  // namespace mmx::auth_service
