#pragma once
// The clock that times inline SQLite statements (ADR 0007): every statement is timed twice
// (for the inline decision and the latency histogram), and std::chrono::steady_clock costs
// 20-50 ns a read on a VM (clock_gettime fences the time stamp counter), a few percent of a
// statement that takes 1.3 µs. Where the kernel keeps time with the TSC itself
// (clocksource "tsc": constant rate, synchronised across CPUs), this reads the TSC without
// a fence (a few ns; being a few instructions early or late is nothing at this scale) and
// scales it with a rate measured once against steady_clock. Elsewhere it is steady_clock.
#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace mmx::db::detail {

class TickClock {
 public:
  using Ticks = std::uint64_t;

  // Measures the rate on first use (about 1 ms, once per process).
  static void init();
  static Ticks now() noexcept {
#if defined(__x86_64__)
    if (tsc_) return __rdtsc();
#endif
    return static_cast<Ticks>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count());
  }
  static std::chrono::nanoseconds to_duration(Ticks t) noexcept {
    return std::chrono::nanoseconds(
        static_cast<std::int64_t>(static_cast<double>(t) * ns_per_tick_));
  }
  static Ticks from_duration(std::chrono::nanoseconds d) noexcept {
    return d.count() <= 0 ? 0 : static_cast<Ticks>(static_cast<double>(d.count()) / ns_per_tick_);
  }
  // True when now() reads the TSC (for tests and the benchmark notes).
  static bool uses_tsc() noexcept { return tsc_; }

 private:
  static inline bool tsc_ = false;
  static inline double ns_per_tick_ = 1.0;
};

}  // namespace mmx::db::detail
