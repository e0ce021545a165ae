#include "key_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include "mmx/auth/encoding.hpp"
#include "mmx/auth/secrets.hpp"

namespace mmx::auth_service {
namespace {

constexpr std::size_t kNonce = 12, kTag = 16;
constexpr std::string_view kPrefix = "v1:";

using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

[[noreturn]] void fail() {
  throw std::runtime_error(
      "a signing key in the database does not decrypt: was MMX_AUTH_KEY_ENCRYPTION_KEY "
      "changed? (rotate keys after changing it: the old ones cannot be read)");
}

}  // namespace

KeyCrypto::KeyCrypto(std::string_view secret)
    : key_(auth::sha256(std::string("mmx-auth/signing-key-encryption/v1:") +
                        std::string(secret.empty() ? "local-development-only" : secret))) {}

std::string KeyCrypto::seal(std::string_view plaintext, std::string_view aad) const {
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  if (RAND_bytes(bytes(out), static_cast<int>(kNonce)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int n = 0, m = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(std::string_view(key_)),
                         bytes(out)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes(out) + kNonce, &n, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes(out) + kNonce + n, &m) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag),
                          bytes(out) + kNonce + plaintext.size()) != 1) {
    throw std::runtime_error("AES-GCM encryption failed");
  }
  return std::string(kPrefix) + auth::base64url_encode(out);
}

std::string KeyCrypto::open(std::string_view sealed, std::string_view aad) const {
  if (!sealed.starts_with(kPrefix)) fail();
  auto raw = auth::base64url_decode(sealed.substr(kPrefix.size()));
  if (!raw || raw->size() < kNonce + kTag) fail();
  const std::size_t len = raw->size() - kNonce - kTag;
  std::string out(len, '\0');
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int n = 0, m = 0;
  std::string tag = raw->substr(kNonce + len);
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(std::string_view(key_)),
                         bytes(std::string_view(*raw))) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), bytes(out), &n, bytes(std::string_view(*raw)) + kNonce,
                        static_cast<int>(len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), bytes(tag)) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(), bytes(out) + n, &m) != 1) {
    fail();
  }
  return out;
}

}  // namespace mmx::auth_service
