#include "tick_clock.hpp"

#include <fstream>
#include <mutex>
#include <string>

namespace mmx::db::detail {

using Steady = std::chrono::steady_clock;

void TickClock::init() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__x86_64__)
    std::ifstream f("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    std::string source;
    if (!(f >> source) || source != "tsc") return;
    const auto t0 = Steady::now();
    const std::uint64_t c0 = __rdtsc();
    auto t1 = t0;
    while ((t1 = Steady::now()) - t0 < std::chrono::milliseconds(1)) {
    }
    const std::uint64_t c1 = __rdtsc();
    if (c1 <= c0) return;
    ns_per_tick_ = static_cast<double>(std::chrono::nanoseconds(t1 - t0).count()) /
                   static_cast<double>(c1 - c0);
    tsc_ = true;
#endif
  });
}

}  // namespace mmx::db::detail
