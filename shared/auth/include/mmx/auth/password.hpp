#pragma once
// Argon2id password hashes in PHC string format (libargon2).
//
// These calls BLOCK for tens of milliseconds and use `memory_kib` of RAM each: never call
// them on an io thread. From a handler:
//
//   auto phc = co_await exec::offload(ctx.workers, [pw = std::move(pw), params] {
//     return auth::hash_password(pw, params);
//   });
#include <cstdint>
#include <string>
#include <string_view>

namespace mmx::auth {

// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
struct PasswordHashParams {
  std::uint32_t memory_kib = 19456;
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
};

// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" with a fresh 16-byte salt and a 32-byte
// hash. Throws std::invalid_argument for parameters libargon2 refuses.
std::string hash_password(std::string_view password, const PasswordHashParams& params = {});
// Constant-time comparison inside libargon2. False for a wrong password and for a hash
// that is not a well-formed argon2id PHC string (never throws).
bool verify_password(std::string_view password, std::string_view phc);
// True when `phc` was made with other parameters (or another version, or does not parse):
// after a successful login, hash the password again and store the new string.
bool needs_rehash(std::string_view phc, const PasswordHashParams& params = {});

}  // namespace mmx::auth
