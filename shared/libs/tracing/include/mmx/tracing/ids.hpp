#pragma once
#include <cstdint>

namespace mmx::tracing {

// Fast per-thread random numbers for ids (not for secrets).
std::uint64_t random_u64() noexcept;

}  // namespace mmx::tracing
