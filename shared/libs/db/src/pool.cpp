#include "pool.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <vector>

#include "mmx/db/errors.hpp"
#include "mmx/exec/task.hpp"

namespace mmx::db {

namespace asio = boost::asio;

struct Pool::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : executor(ex), timer(ex) {}
  asio::any_io_executor executor;
  asio::steady_timer timer;  // touched only on `executor`
  bool done = false;         // under Pool::mu_
  std::exception_ptr error;
  exec::Task resume;  // posts the coroutine's completion to its own executor
};

bool Pool::try_take(Slot& out) {
  // Last in, first out: the connection used most recently has its statements prepared and
  // judged quick (ADR 0007) and its pages in cache; a round robin would make every one of
  // them learn each statement, and keep connections the load no longer needs awake.
  if (auto conn = pop_idle()) {
    out.conn = std::move(conn);
    out.reused = true;
    return true;
  }
  if (open_ < max_) {
    ++open_;
    out.conn.reset();
    out.reused = false;
    return true;
  }
  return false;
}

bool Pool::can_take() const { return !idle_.empty() || open_ < max_; }

bool Pool::try_acquire(Slot& out) {
  std::lock_guard lock(mu_);
  return waiters_.empty() && try_take(out);
}

std::unique_ptr<Connection> Pool::pop_idle() {
  if (idle_.empty()) return nullptr;
  auto conn = std::move(idle_.back());
  idle_.pop_back();
  return conn;
}

std::unique_ptr<Connection> Pool::try_acquire_idle() {
  std::lock_guard lock(mu_);
  return pop_idle();
}

void Pool::give_back_idle(std::unique_ptr<Connection> conn) {
  if (conn->healthy()) {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) {
      idle_.push_back(std::move(conn));
      return;
    }
  }
  give_back(std::move(conn));
}

asio::awaitable<Pool::Slot> Pool::acquire() {
  {
    std::lock_guard lock(mu_);
    Slot slot;
    if (waiters_.empty() && try_take(slot)) co_return slot;
  }
  auto ex = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + max_wait_;
  auto self = shared_from_this();
  // A waiter is never handed a connection, only told to try again, and it takes one only
  // while it runs: a connection taken for it elsewhere would sit idle until its resumption
  // got through a busy io thread's queue, and with statements that finish inline in a
  // microsecond every caller would soon queue behind such handovers (a convoy in which the
  // whole pool is held by resumptions in flight). A woken waiter tries before anyone queued
  // after it and, should a caller that never queued have taken the connection first, goes
  // back to the front of the queue.
  for (bool retry = false;; retry = true) {
    if (retry) {
      std::lock_guard lock(mu_);
      Slot slot;
      if (try_take(slot)) co_return slot;
    }
    auto waiter = std::make_shared<Waiter>(ex);
    auto initiate = [self, waiter, retry, deadline](auto handler) {
      waiter->resume = [handler = std::move(handler), waiter]() mutable {
        auto hex = asio::get_associated_executor(handler);
        asio::post(hex, [handler = std::move(handler), error = waiter->error]() mutable {
          std::move(handler)(error);
        });
      };
      std::unique_lock lock(self->mu_);
      // Freed since the last look (with nobody ahead, unless this waiter was at the front):
      // try again at once.
      if (self->can_take() && (retry || self->waiters_.empty())) {
        waiter->done = true;
        auto resume = std::move(waiter->resume);
        lock.unlock();
        resume();
        return;
      }
      if (retry) {
        self->waiters_.push_front(waiter);
      } else {
        self->waiters_.push_back(waiter);
        ++self->queued_;
      }
      waiter->timer.expires_at(deadline);
      waiter->timer.async_wait(
          [weak = std::weak_ptr<Pool>(self), waiter](boost::system::error_code ec) {
            if (ec) return;  // cancelled: it was woken
            if (auto pool = weak.lock()) pool->expire(waiter);
          });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr)>(
        std::move(initiate), asio::use_awaitable);
  }
}

void Pool::expire(const std::shared_ptr<Waiter>& w) {
  std::unique_lock lock(mu_);
  if (w->done) return;
  w->done = true;
  std::erase(waiters_, w);
  w->error = std::make_exception_ptr(
      DbError(ErrorKind::timeout, "no " + label_ + " connection free within " +
                                      std::to_string(max_wait_.count()) + " ms (pool size " +
                                      std::to_string(max_) + ")"));
  auto resume = std::move(w->resume);
  lock.unlock();
  resume();
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
  // Closed outside the lock. Made only when needed: an empty std::deque allocates, and this
  // runs after every statement.
  std::optional<std::deque<std::unique_ptr<Connection>>> stale;
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mu_);
    if (!conn || !conn->healthy()) {
      --open_;
      if (conn) {
        // One dead connection usually means the server went away: the idle ones are dead
        // too, and finding out one request at a time would fail that many requests.
        open_ -= idle_.size();
        stale.emplace().swap(idle_);
      }
      conn.reset();
    }
    // The connection (or the freed slots) go back, and as many waiters as slots came free
    // are woken to take them (see acquire()).
    if (conn) idle_.push_back(std::move(conn));
    for (std::size_t n = 1 + (stale ? stale->size() : 0); n > 0 && !waiters_.empty(); --n) {
      auto next = waiters_.front();
      waiters_.pop_front();
      next->done = true;
      wake.push_back(std::move(next));
    }
  }
  for (auto& next : wake) {
    asio::post(next->executor, [next] { next->timer.cancel(); });
    auto resume = std::move(next->resume);
    resume();
  }
}

Pool::Stats Pool::stats() const {
  std::lock_guard lock(mu_);
  return {idle_.size(), open_ - idle_.size(), waiters_.size(), queued_};
}

void Lease::release() {
  auto pool = std::move(pool_);
  pool->give_back(std::move(conn_));
}

Lease::~Lease() {
  if (!pool_) return;  // released already
  if (!in_transaction || !conn_) {
    pool_->give_back(std::move(conn_));
    return;
  }
  // Left a transaction open (exception, cancellation, destroyed coroutine): roll back on a
  // worker before anyone else gets the connection. A failed rollback makes it unhealthy.
  auto held = std::make_shared<std::unique_ptr<Connection>>(std::move(conn_));
  auto job = [pool = pool_, held] {
    std::unique_ptr<Connection> conn = std::move(*held);
    try {
      conn->execute_script("ROLLBACK");
    } catch (...) {
      // Nothing to roll back (a failed COMMIT ended it), or the connection is gone:
      // healthy() tells the pool which.
    }
    pool->give_back(std::move(conn));
  };
  if (!workers_.try_submit(job)) job();
}

Connection& Lease::connection() {
  if (!conn_) conn_ = driver_.connect(read_only_);
  return *conn_;
}

}  // namespace mmx::db
