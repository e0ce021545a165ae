#pragma once
// Finished spans wait here for the exporter. Bounded: when full, new spans are dropped and
// counted, so a slow or dead collector can never slow a request or grow memory.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "mmx/tracing/span.hpp"

namespace mmx::tracing {

class SpanQueue {
 public:
  explicit SpanQueue(std::size_t capacity) : capacity_(capacity) {}
  bool offer(Span&& span);                       // false (and counted) when full
  std::vector<Span> drain(std::size_t max);      // oldest first
  std::size_t size() const;
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Lets producers skip building spans entirely while no exporter is configured.
  void set_enabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mu_;
  std::vector<Span> spans_;
  std::size_t capacity_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> enabled_{false};
};

// The process-wide queue the HTTP server and client record into.
SpanQueue& default_span_queue();

}  // namespace mmx::tracing
