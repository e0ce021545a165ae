#include "mmx/tracing/span_queue.hpp"

namespace mmx::tracing {

bool SpanQueue::offer(Span&& span) {
  {
    std::lock_guard lock(mu_);
    if (spans_.size() < capacity_) {
      spans_.push_back(std::move(span));
      return true;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

std::vector<Span> SpanQueue::drain(std::size_t max) {
  std::lock_guard lock(mu_);
  std::vector<Span> out;
  if (spans_.size() <= max) {
    out.swap(spans_);
  } else {
    out.assign(std::make_move_iterator(spans_.begin()),
               std::make_move_iterator(spans_.begin() + static_cast<std::ptrdiff_t>(max)));
    spans_.erase(spans_.begin(), spans_.begin() + static_cast<std::ptrdiff_t>(max));
  }
  return out;
}

std::size_t SpanQueue::size() const {
  std::lock_guard lock(mu_);
  return spans_.size();
}

SpanQueue& default_span_queue() {
  static SpanQueue q(8192);
  return q;
}

}  // namespace mmx::tracing
