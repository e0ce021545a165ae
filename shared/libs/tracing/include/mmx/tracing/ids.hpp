#pragma once
#include <cstdint>
#include <string>

namespace mmx::tracing {

// Fast per-thread random numbers for ids (not for secrets).
std::uint64_t random_u64() noexcept;
// 32 lowercase hex characters: request ids generated when the client sent none.
std::string random_hex_id();

}  // namespace mmx::tracing
