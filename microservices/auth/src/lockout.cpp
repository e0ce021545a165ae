#include "lockout.hpp"

#include <algorithm>

namespace mmx::auth_service {

std::chrono::seconds LockoutPolicy::lock_for(std::int64_t failures) const {
  if (threshold <= 0 || failures < threshold) return std::chrono::seconds(0);
  std::int64_t doublings = failures - threshold;
  std::int64_t seconds = base.count();
  // Stop doubling once past max: no overflow however many failures pile up.
  while (doublings-- > 0 && seconds < max.count()) seconds *= 2;
  return std::chrono::seconds(std::min(seconds, max.count()));
}

}  // namespace mmx::auth_service
