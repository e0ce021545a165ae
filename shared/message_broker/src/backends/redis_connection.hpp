#pragma once
// One blocking hiredis connection to Redis: connects with a timeout, authenticates,
// selects the database, bounds every read and write with a socket timeout, and turns
// transport failures and error replies into BrokerErrors naming the redacted URL. Used by
// one thread at a time; after a transport error it is broken and must be replaced.
#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/broker/backend.hpp"

namespace mmx::broker::backends {

struct RedisConfig {
  std::string redacted_url;
  std::string host;
  int port = 6379;
  std::string user, password;  // AUTH [user] password when a password is given
  bool has_password = false;
  int db = 0;
  std::uint64_t maxlen = 1'000'000;  // XADD MAXLEN ~ maxlen; 0 = never trim
  std::chrono::milliseconds connect_timeout{5000};
  // Bound on every reply (on top of a blocking XREADGROUP's own wait).
  std::chrono::milliseconds io_timeout{10000};
};

// Throws BrokerError(configuration) naming what is wrong.
RedisConfig parse_redis_url(const std::string& url);

struct FreeReply {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, FreeReply>;

// Arguments of one command, kept as string_views into the caller's strings.
class Args {
 public:
  Args(std::initializer_list<std::string_view> args) { for (auto a : args) add(a); }
  Args& add(std::string_view a) {
    ptrs_.push_back(a.data());
    lens_.push_back(a.size());
    return *this;
  }
  int count() const { return static_cast<int>(ptrs_.size()); }
  const char** argv() { return ptrs_.data(); }
  const size_t* lens() const { return lens_.data(); }
  std::string_view name() const { return std::string_view(ptrs_[0], lens_[0]); }

 private:
  std::vector<const char*> ptrs_;
  std::vector<size_t> lens_;
};

class RedisConnection {
 public:
  explicit RedisConnection(const RedisConfig& config);
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  bool broken() const { return broken_; }
  // For replies that mean our view of the server is stale (NOGROUP after it lost data):
  // the owner reconnects and redeclares.
  void mark_broken() { broken_ = true; }

  // One round trip. Transport errors throw unavailable (the connection is then broken);
  // error replies are returned for the caller to judge.
  Reply command(Args args);
  // As command(), but an error reply throws too (see error_for()).
  Reply checked(Args args, std::string_view what);
  // Pipelining: queue commands, then read their replies in order.
  void append(Args& args);
  Reply read(std::string_view what);
  // The socket timeout for the next replies (a blocking XREADGROUP needs its wait on top).
  void set_timeout(std::chrono::milliseconds timeout);

  BrokerError lost(std::string_view what);
  BrokerError error(BrokerError::Kind kind, std::string_view what) const;
  // The BrokerError an error reply stands for; `fallback` for errors that are neither a
  // server in trouble nor credentials nor permissions.
  BrokerError error_for(const redisReply& reply, std::string_view what,
                        BrokerError::Kind fallback = BrokerError::Kind::configuration) const;

 private:
  struct Free {
    void operator()(redisContext* c) const { redisFree(c); }
  };

  RedisConfig config_;
  std::unique_ptr<redisContext, Free> ctx_;
  std::chrono::milliseconds timeout_{0};
  bool broken_ = false;
};

bool is_error(const redisReply* r);
std::string_view text(const redisReply* r);  // "" unless a string / status / error

}  // namespace mmx::broker::backends
