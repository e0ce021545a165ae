#pragma once
// A move-only void() callable: std::function needs copyable targets, and the completion
// handlers we carry to worker threads are move-only.
#include <memory>
#include <utility>

namespace mmx::exec {

class Task {
 public:
  Task() = default;
  template <class F>
  Task(F f) : impl_(std::make_unique<Impl<F>>(std::move(f))) {}  // NOLINT: implicit by design
  void operator()() { impl_->call(); }
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void call() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F f) : f(std::move(f)) {}
    void call() override { f(); }
    F f;
  };
  std::unique_ptr<Base> impl_;
};

}  // namespace mmx::exec
