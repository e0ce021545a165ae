#pragma once
// Paces reconnection attempts of one connection owner (a broker publisher or consumer, a
// cache connection): after k consecutive failed connects the next attempt waits
// 100ms * 2^(k-1), at most 1s. Owners that may block (the broker) call wait(), which sleeps
// out the rest of the delay, so the first call after the server is back does reconnect while
// a caller retrying in a tight loop still cannot hammer a dead server. Owners that must not
// block (the cache: a miss is cheaper than a wait) ask ready() and skip the server instead.
// Not thread-safe: one owner, or the owner's lock.
#include <algorithm>
#include <chrono>
#include <thread>

namespace mmx::redis {

class ReconnectGate {
 public:
  static constexpr std::chrono::milliseconds first_delay{100};
  static constexpr std::chrono::milliseconds max_delay{1000};

  void wait() const {
    auto now = std::chrono::steady_clock::now();
    if (next_ > now) std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(next_ - now, max_delay));
  }
  bool ready() const { return std::chrono::steady_clock::now() >= next_; }
  void failed() {
    auto delay = first_delay * (1 << std::min(failures_, 4));
    failures_ = std::min(failures_ + 1, 30);
    next_ = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(delay, max_delay);
  }
  void succeeded() {
    failures_ = 0;
    next_ = {};
  }

 private:
  int failures_ = 0;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace mmx::redis
