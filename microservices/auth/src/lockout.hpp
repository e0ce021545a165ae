#pragma once
// Per-account lockout with exponential backoff. After `threshold` consecutive failed
// sign-ins an account is locked for `base`, doubling with every further failure up to
// `max`; a success resets the count, and failures older than `window` are forgotten.
// Accounts are keyed by the normalised email whether or not the account exists, so a
// lockout tells an attacker nothing about which emails are registered.
#include <chrono>
#include <cstdint>

namespace mmx::auth_service {

struct LockoutPolicy {
  std::int64_t threshold = 5;  // 0 disables lockout
  std::chrono::seconds base{30};
  std::chrono::seconds max{std::chrono::minutes(15)};
  std::chrono::seconds window{std::chrono::minutes(15)};

  // How long the account stays locked after its `failures`-th consecutive failure.
  std::chrono::seconds lock_for(std::int64_t failures) const;
};

}  // namespace mmx::auth_service
