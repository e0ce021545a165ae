#include "mmx/exec/worker_pool.hpp"

#include <chrono>

namespace mmx::exec {

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue_capacity)
    : capacity_(queue_capacity) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::try_submit(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= capacity_) {
      ++rejected_;
      return false;
    }
    queue_.push_back(std::move(task));
    queued_.fetch_add(1, std::memory_order_release);
    // A spinning worker sees the task without a wake-up (a futex syscall per task).
    if (sleeping_ == 0) return true;
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::size_t WorkerPool::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t WorkerPool::busy() const {
  std::lock_guard lock(mu_);
  return busy_;
}

std::uint64_t WorkerPool::rejected() const {
  std::lock_guard lock(mu_);
  return rejected_;
}

bool WorkerPool::spin_for_work() {
  // ~50 µs: longer than an io thread takes to issue the next statement, far shorter than a
  // scheduler tick, so an idle pool goes to sleep almost at once.
  auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  while (queued_.load(std::memory_order_acquire) == 0) {
    if (std::chrono::steady_clock::now() > until) return false;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  return true;
}

void WorkerPool::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (queue_.empty() && !stopping_) {
      lock.unlock();
      spin_for_work();
      lock.lock();
      if (queue_.empty() && !stopping_) {
        // try_submit reads sleeping_ under the lock after pushing: either it sees us here
        // and notifies, or we see its task in the predicate.
        ++sleeping_;
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        --sleeping_;
      }
    }
    if (queue_.empty()) return;  // stopping and drained
    Task t = std::move(queue_.front());
    queue_.pop_front();
    queued_.fetch_sub(1, std::memory_order_relaxed);
    ++busy_;
    lock.unlock();
    t();
    lock.lock();
    --busy_;
  }
}

}  // namespace mmx::exec
