#pragma once
// co_await offload(pool, fn): runs fn on the worker pool and resumes the coroutine on its
// own executor with fn's result (or rethrows fn's exception).
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <type_traits>

#include "mmx/exec/worker_pool.hpp"

namespace mmx::exec {

namespace detail {
template <class R>
struct Outcome {
  std::optional<R> value;
};
template <>
struct Outcome<void> {};
}  // namespace detail

template <class F, class R = std::invoke_result_t<F>>
boost::asio::awaitable<R> offload(WorkerPool& pool, F fn) {
  using Result = std::conditional_t<std::is_void_v<R>, detail::Outcome<void>, detail::Outcome<R>>;
  auto initiate = [&pool, fn = std::move(fn)](auto handler) mutable {
    struct Job {
      decltype(handler) h;
      F fn;
    };
    auto job = std::make_shared<Job>(Job{std::move(handler), std::move(fn)});
    // Resumes the coroutine on its own executor, never on the worker thread.
    auto complete = [](std::shared_ptr<Job> j, std::exception_ptr ep, Result out) {
      auto ex = boost::asio::get_associated_executor(j->h);
      boost::asio::post(ex, [j, ep, out = std::move(out)]() mutable {
        std::move(j->h)(ep, std::move(out));
      });
    };
    bool queued = pool.try_submit([job, complete] {
      Result out;
      std::exception_ptr ep;
      try {
        if constexpr (std::is_void_v<R>) {
          job->fn();
        } else {
          out.value.emplace(job->fn());
        }
      } catch (...) {
        ep = std::current_exception();
      }
      complete(job, ep, std::move(out));
    });
    if (!queued) complete(job, std::make_exception_ptr(Overloaded()), Result{});
  };
  Result r = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                  void(std::exception_ptr, Result)>(
      std::move(initiate), boost::asio::use_awaitable);
  if constexpr (!std::is_void_v<R>) co_return std::move(*r.value);
}

}  // namespace mmx::exec
