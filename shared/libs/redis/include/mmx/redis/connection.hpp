#pragma once
// One blocking hiredis connection to Redis: connects with a timeout, authenticates,
// selects the database, bounds every read and write with a socket timeout, and turns
// transport failures and error replies into redis::Errors naming the redacted URL. Used by
// one thread at a time; after a transport error it is broken and must be replaced.
#include <hiredis/hiredis.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/redis/error.hpp"
#include "mmx/redis/server_url.hpp"

namespace mmx::redis {

struct Config {
  std::string redacted_url;
  std::string host;
  int port = 6379;
  std::string user, password;  // AUTH [user] password when a password is given
  bool has_password = false;
  int db = 0;
  std::chrono::milliseconds connect_timeout{5000};
  // Bound on every reply (a blocking command's own wait comes on top, see set_timeout).
  std::chrono::milliseconds io_timeout{10000};
};

// The redis:// part every user shares: scheme, credentials, /db, and the connect_timeout
// and io_timeout options, which it takes out of url.options. The caller takes its own
// options, then calls url.reject_unknown_options(). Throws Error(configuration).
Config config_from_url(ServerUrl& url);
inline constexpr std::string_view common_options = "connect_timeout, io_timeout";

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

class Connection {
 public:
  // Throws unavailable (cannot connect), authentication (AUTH refused) or what SELECT says.
  explicit Connection(const Config& config);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool broken() const { return broken_; }
  // For replies that mean our view of the server is stale (NOGROUP after it lost data):
  // the owner reconnects.
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

  Error lost(std::string_view what);
  Error error(Error::Kind kind, std::string_view what) const;
  // The Error an error reply stands for; `fallback` for errors that are neither a server in
  // trouble nor credentials nor permissions.
  Error error_for(const redisReply& reply, std::string_view what,
                  Error::Kind fallback = Error::Kind::configuration) const;

 private:
  struct Free {
    void operator()(redisContext* c) const { redisFree(c); }
  };

  Config config_;
  std::unique_ptr<redisContext, Free> ctx_;
  std::chrono::milliseconds timeout_{0};
  bool broken_ = false;
};

bool is_error(const redisReply* r);
std::string_view text(const redisReply* r);  // "" unless a string / status / error

}  // namespace mmx::redis
