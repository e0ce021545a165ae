#include "mmx/exec/worker_pool.hpp"

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

void WorkerPool::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Task t = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    lock.unlock();
    t();
    lock.lock();
    --busy_;
  }
}

}  // namespace mmx::exec
