#pragma once
// A bounded pool of driver connections with an async, time-limited acquire. Connections
// are made lazily (by the caller, on a worker thread) up to the limit; a waiter is
// resumed on its own executor when one comes back. Unhealthy connections are dropped,
// and so is every idle one with them: after a server restart they are all dead.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "mmx/db/driver.hpp"
#include "mmx/exec/worker_pool.hpp"

namespace mmx::db {

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  struct Slot {
    std::unique_ptr<Connection> conn;  // null: the holder may create one (counted already)
    bool reused = false;               // came from the idle list (may have gone stale)
  };
  struct Stats {
    std::size_t idle = 0, busy = 0, waiting = 0;
    std::uint64_t queued = 0;  // acquisitions so far that had to wait in the queue
    Stats& operator+=(const Stats& o) {
      idle += o.idle;
      busy += o.busy;
      waiting += o.waiting;
      queued += o.queued;
      return *this;
    }
  };

  Pool(std::string label, std::size_t max_size, std::chrono::milliseconds max_wait)
      : label_(std::move(label)), max_(max_size), max_wait_(max_wait) {}

  // Throws DbError(timeout) after max_wait.
  boost::asio::awaitable<Slot> acquire();
  // Without waiting: true when a slot was free and nobody queued ahead (the common case,
  // taken without a coroutine frame).
  bool try_acquire(Slot& out);
  // An idle connection for a statement run inline, given back (give_back_idle) before the
  // calling thread does anything else: it may be taken past queued waiters, whose
  // resumption (posted to their executors) could not have used it any sooner. Null: none.
  std::unique_ptr<Connection> try_acquire_idle();
  // What try_acquire_idle() took (give_back() when it is unhealthy or someone waits).
  void give_back_idle(std::unique_ptr<Connection> conn);
  // From any thread. Null or unhealthy connections free their slot.
  void give_back(std::unique_ptr<Connection> conn);
  Stats stats() const;

 private:
  struct Waiter;
  void expire(const std::shared_ptr<Waiter>& w);
  bool try_take(Slot& out);                // with mu_ held
  std::unique_ptr<Connection> pop_idle();  // with mu_ held; the most recent, or null
  bool can_take() const;                   // with mu_ held

  std::string label_;
  std::size_t max_;
  std::chrono::milliseconds max_wait_;
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + leased + being created
  std::deque<std::shared_ptr<Waiter>> waiters_;
  std::uint64_t queued_ = 0;  // first-time queuings, for Stats
};

// A connection (or the right to make one) held by one coroutine; see Database.
class Lease {
 public:
  Lease(std::shared_ptr<Pool> pool, Pool::Slot slot, Driver& driver, exec::WorkerPool& workers,
        bool read_only)
      : pool_(std::move(pool)),
        conn_(std::move(slot.conn)),
        reused_(slot.reused),
        driver_(driver),
        workers_(workers),
        read_only_(read_only) {}
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Worker thread only: the connection, made now if this lease holds only a slot.
  Connection& connection();
  // The connection if it exists already (an io thread may try it inline), else null.
  Connection* existing() { return conn_.get(); }
  bool reused() const { return reused_; }
  // Gives the connection back now, from any thread (a worker, right after its statement, so
  // the connection is not held while the result waits in a busy io thread's queue). The
  // lease holds nothing afterwards.
  void release();
  bool in_transaction = false;

 private:
  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Connection> conn_;
  bool reused_;
  Driver& driver_;
  exec::WorkerPool& workers_;
  bool read_only_;
};

}  // namespace mmx::db
