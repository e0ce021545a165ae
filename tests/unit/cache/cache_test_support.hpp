#pragma once
// Helpers the cache suites share: unique names (the harness's Redis outlives a test), a
// clock tests move by hand, waiting for a condition, reading the request counters.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include "../kit/test_support.hpp"
#include "mmx/cache/cache.hpp"

namespace mmx::cache::test {

using mmx::test::run;  // one awaitable to completion on an io_context of its own

inline std::string unique(const std::string& prefix) {
  static std::atomic<int> n{0};
  static const auto seed = std::random_device{}();
  return prefix + "-" + std::to_string(seed) + "-" + std::to_string(++n);
}

// Clock::now() plus an offset the test advances.
struct ManualClock {
  std::atomic<std::int64_t> offset_ms{0};
  void advance(std::chrono::milliseconds d) { offset_ms += d.count(); }
  std::function<Clock::time_point()> fn() {
    return [this] { return Clock::now() + std::chrono::milliseconds(offset_ms.load()); };
  }
};

// Polls `condition` every 20 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// mmx_cache_requests_total{cache=name, result=result}.
// The message of the std::runtime_error `f` throws ("" and a test failure when none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

inline double requests(metrics::Registry& r, const std::string& name, std::string_view result) {
  return r.counter("mmx_cache_requests_total", "", {"cache", "result"}).with({name, result}).value();
}

}  // namespace mmx::cache::test
