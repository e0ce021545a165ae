#include "mmx/auth/password.hpp"

#include <argon2.h>
#include <openssl/rand.h>

#include <cctype>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace mmx::auth {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// Refuse to verify against absurd costs (a corrupted row must not exhaust memory or CPU).
constexpr std::uint32_t kMaxMemoryKib = 4u * 1024 * 1024;  // 4 GiB
constexpr std::uint32_t kMaxIterations = 1000;
constexpr std::uint32_t kMaxParallelism = 255;

struct Phc {
  std::uint32_t version = 0, m = 0, t = 0, p = 0;
};

bool parse_u32(std::string_view s, std::uint32_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool b64_chars(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) return false;
  }
  return true;
}

// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>": only the shape and the parameters;
// libargon2 decodes salt and hash.
std::optional<Phc> parse_phc(std::string_view s) {
  constexpr std::string_view prefix = "$argon2id$v=";
  if (!s.starts_with(prefix)) return std::nullopt;
  s.remove_prefix(prefix.size());
  Phc out;
  auto next = [&s](std::string_view& part) {
    auto d = s.find('$');
    if (d == std::string_view::npos) return false;
    part = s.substr(0, d);
    s.remove_prefix(d + 1);
    return true;
  };
  std::string_view version, params, salt;
  if (!next(version) || !parse_u32(version, out.version)) return std::nullopt;
  if (!next(params) || !next(salt)) return std::nullopt;
  if (!b64_chars(salt) || !b64_chars(s)) return std::nullopt;
  // m=..,t=..,p=.. in that order.
  const char* names[] = {"m=", "t=", "p="};
  std::uint32_t* fields[] = {&out.m, &out.t, &out.p};
  for (int i = 0; i < 3; ++i) {
    if (!params.starts_with(names[i])) return std::nullopt;
    params.remove_prefix(2);
    auto comma = params.find(',');
    std::string_view v = params.substr(0, comma);
    if (!parse_u32(v, *fields[i])) return std::nullopt;
    params = comma == std::string_view::npos ? std::string_view() : params.substr(comma + 1);
    if ((i < 2) == (comma == std::string_view::npos)) return std::nullopt;
  }
  if (out.m == 0 || out.t == 0 || out.p == 0 || out.m > kMaxMemoryKib || out.t > kMaxIterations ||
      out.p > kMaxParallelism) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string hash_password(std::string_view password, const PasswordHashParams& params) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) {
    throw std::runtime_error("hash_password: the OpenSSL random generator failed");
  }
  const std::size_t len = argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                            kSaltBytes, kHashBytes, Argon2_id);
  std::string out(len, '\0');
  int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                 password.data(), password.size(), salt, sizeof salt, kHashBytes,
                                 out.data(), out.size());
  if (rc != ARGON2_OK) {
    throw std::invalid_argument(std::string("hash_password: ") + argon2_error_message(rc));
  }
  out.resize(out.find('\0'));
  return out;
}

bool verify_password(std::string_view password, std::string_view phc) {
  if (!parse_phc(phc)) return false;
  const std::string encoded(phc);  // libargon2 wants a NUL-terminated string
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool needs_rehash(std::string_view phc, const PasswordHashParams& params) {
  auto p = parse_phc(phc);
  return !p || p->version != ARGON2_VERSION_NUMBER || p->m != params.memory_kib ||
         p->t != params.iterations || p->p != params.parallelism;
}

}  // namespace mmx::auth
