#pragma once
// A bounded pool of threads for blocking work (SQLite, libpq, Argon2, file parsing), so io
// threads never block. The queue is bounded: when it is full, submit() refuses the task
// and offload() throws Overloaded, which the HTTP layer answers with 503 + Retry-After.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mmx/exec/task.hpp"

namespace mmx::exec {

class Overloaded : public std::runtime_error {
 public:
  Overloaded() : std::runtime_error("worker pool queue is full") {}
};

class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t queue_capacity);
  ~WorkerPool();  // finishes queued tasks, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool try_submit(Task task);  // false when the queue is full or the pool is stopping
  void stop();                 // refuses new tasks, lets queued ones finish, joins

  std::size_t queue_depth() const;
  std::size_t busy() const;
  std::size_t threads() const { return threads_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t rejected() const;

 private:
  void run();
  // Spinning briefly before sleeping: back-to-back tasks (a transaction's statements, one
  // after another from the same coroutine) then skip a futex sleep and wake-up each.
  bool spin_for_work();
  mutable std::mutex mu_;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), readable without the lock
  std::size_t sleeping_ = 0;            // workers waiting on cv_ (under mu_)
  std::condition_variable cv_;
  std::deque<Task> queue_;
  std::vector<std::thread> threads_;
  std::size_t capacity_;
  std::size_t busy_ = 0;
  std::uint64_t rejected_ = 0;
  bool stopping_ = false;
};

}  // namespace mmx::exec
