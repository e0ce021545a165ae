#include "mmx/tracing/ids.hpp"

#include <random>


namespace mmx::tracing {

std::uint64_t random_u64() noexcept {
  // splitmix64 seeded once per thread from the OS: ids must not collide across processes.
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace mmx::tracing
