#pragma once
// Small primitives for secrets: comparisons that leak no timing, random tokens, digests.
#include <cstddef>
#include <string>
#include <string_view>

namespace mmx::auth {

// CRYPTO_memcmp over equal lengths; unequal lengths answer false without comparing bytes
// (the length of a secret is not secret).
bool constant_time_equals(std::string_view a, std::string_view b);
// `bytes` bytes from the OpenSSL CSPRNG, base64url (32 bytes -> 43 characters): refresh
// tokens, reset tokens, client secrets, jti. Throws std::runtime_error if RAND_bytes fails.
std::string random_token(std::size_t bytes = 32);
std::string sha256_hex(std::string_view data);
std::string sha256_base64url(std::string_view data);
// Raw 32-byte digest.
std::string sha256(std::string_view data);
// The same, into a caller's buffer (no allocation: the token cache keys every request).
void sha256_into(std::string_view data, unsigned char (&out)[32]);

}  // namespace mmx::auth
