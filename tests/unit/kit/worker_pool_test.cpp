#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "mmx/exec/offload.hpp"
#include "test_support.hpp"

using namespace mmx::exec;

TEST(WorkerPool, OffloadReturnsValueOnCallerThreadAndRethrows) {
  WorkerPool pool(2, 16);
  auto caller = std::this_thread::get_id();
  auto [value, worker, resumed] = mmx::test::run([&]() -> boost::asio::awaitable<std::tuple<int, std::thread::id, std::thread::id>> {
    std::thread::id w;
    int v = co_await offload(pool, [&] {
      w = std::this_thread::get_id();
      return 41 + 1;
    });
    co_return std::tuple{v, w, std::this_thread::get_id()};
  }());
  EXPECT_EQ(value, 42);
  EXPECT_NE(worker, caller);
  EXPECT_EQ(resumed, caller);  // resumed on the io thread, not the worker

  EXPECT_THROW(mmx::test::run([&]() -> boost::asio::awaitable<void> {
                 co_await offload(pool, [] { throw std::runtime_error("blocking call failed"); });
               }()),
               std::runtime_error);
}

TEST(WorkerPool, FullQueueRefusesWithOverloaded) {
  WorkerPool pool(1, 1);
  std::promise<void> release;
  auto gate = release.get_future().share();
  ASSERT_TRUE(pool.try_submit([gate] { gate.wait(); }));  // occupies the only thread
  // Wait until the worker has taken it, so the queue is empty again.
  while (pool.busy() == 0) std::this_thread::yield();
  ASSERT_TRUE(pool.try_submit([] {}));   // fills the queue
  EXPECT_FALSE(pool.try_submit([] {}));  // over the bound
  EXPECT_EQ(pool.rejected(), 1u);
  EXPECT_EQ(pool.queue_depth(), 1u);
  EXPECT_THROW(mmx::test::run([&]() -> boost::asio::awaitable<void> {
                 co_await offload(pool, [] {});
               }()),
               Overloaded);
  release.set_value();
}

TEST(WorkerPool, StopFinishesQueuedWorkThenRefuses) {
  std::atomic<int> done{0};
  WorkerPool pool(2, 100);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.try_submit([&] { done++; }));
  pool.stop();
  EXPECT_EQ(done.load(), 50);
  EXPECT_FALSE(pool.try_submit([] {}));
}
