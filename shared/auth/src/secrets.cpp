#include "mmx/auth/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "mmx/auth/encoding.hpp"

namespace mmx::auth {

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (bytes > 0 && RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("random_token: the OpenSSL random generator failed");
  }
  return base64url_encode({reinterpret_cast<const char*>(buf.data()), buf.size()});
}

void sha256_into(std::string_view data, unsigned char (&out)[32]) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up, under a lock, on
  // every call, which showed as a fifth of a cached token check and limited its scaling.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned int len = 0;
  if (!md || EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1 || len != 32) {
    throw std::runtime_error("sha256: OpenSSL digest failed");
  }
}

std::string sha256(std::string_view data) {
  unsigned char md[32];
  sha256_into(data, md);
  return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

std::string sha256_hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string md = sha256(data), out;
  out.reserve(md.size() * 2);
  for (unsigned char c : md) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string sha256_base64url(std::string_view data) { return base64url_encode(sha256(data)); }

}  // namespace mmx::auth
