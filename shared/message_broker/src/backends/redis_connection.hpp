#pragma once
// The broker's Redis connection: mmx_redis's redis::Connection (connect with a timeout,
// AUTH, SELECT, socket timeouts) with its errors as BrokerErrors of the same kind, plus the
// broker's own URL option (maxlen). Used by one thread at a time; after a transport error it
// is broken and must be replaced.
#include <cstdint>
#include <string>
#include <string_view>

#include "mmx/broker/backend.hpp"
#include "mmx/redis/connection.hpp"

namespace mmx::broker::backends {

using redis::Args;
using redis::is_error;
using redis::Reply;
using redis::text;

struct RedisConfig : redis::Config {
  std::uint64_t maxlen = 1'000'000;  // XADD MAXLEN ~ maxlen; 0 = never trim
};

// Throws BrokerError(configuration) naming what is wrong.
RedisConfig parse_redis_url(const std::string& url);

class RedisConnection {
 public:
  explicit RedisConnection(const RedisConfig& config);

  bool broken() const { return conn_->broken(); }
  // For replies that mean our view of the server is stale (NOGROUP after it lost data):
  // the owner reconnects and redeclares.
  void mark_broken() { conn_->mark_broken(); }

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

  BrokerError error(BrokerError::Kind kind, std::string_view what) const;
  // The BrokerError an error reply stands for; `fallback` for errors that are neither a
  // server in trouble nor credentials nor permissions.
  BrokerError error_for(const redisReply& reply, std::string_view what,
                        BrokerError::Kind fallback = BrokerError::Kind::configuration) const;

 private:
  std::unique_ptr<redis::Connection> conn_;
};

}  // namespace mmx::broker::backends
