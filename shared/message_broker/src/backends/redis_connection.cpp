#include "redis_connection.hpp"

#include "server_url.hpp"

namespace mmx::broker::backends {

RedisConfig parse_redis_url(const std::string& url) try {
  ServerUrl u = parse_server_url(url, 6379);
  RedisConfig c;
  static_cast<redis::Config&>(c) = redis::config_from_url(u);
  c.maxlen = parse_count(u, "maxlen", u.take("maxlen", "1000000"));
  u.reject_unknown_options("maxlen, " + std::string(redis::common_options));
  return c;
} catch (const redis::Error& e) {
  throw to_broker_error(e);
}

RedisConnection::RedisConnection(const RedisConfig& config) try
    : conn_(std::make_unique<redis::Connection>(config)) {
} catch (const redis::Error& e) {
  throw to_broker_error(e);
}

Reply RedisConnection::command(Args args) try {
  return conn_->command(std::move(args));
} catch (const redis::Error& e) {
  throw to_broker_error(e);
}

Reply RedisConnection::checked(Args args, std::string_view what) try {
  return conn_->checked(std::move(args), what);
} catch (const redis::Error& e) {
  throw to_broker_error(e);
}

void RedisConnection::append(Args& args) try {
  conn_->append(args);
} catch (const redis::Error& e) {
  throw to_broker_error(e);
}

Reply RedisConnection::read(std::string_view what) try {
  return conn_->read(what);
} catch (const redis::Error& e) {
  throw to_broker_error(e);
}

void RedisConnection::set_timeout(std::chrono::milliseconds timeout) try {
  conn_->set_timeout(timeout);
} catch (const redis::Error& e) {
  throw to_broker_error(e);
}

BrokerError RedisConnection::error(BrokerError::Kind kind, std::string_view what) const {
  return to_broker_error(conn_->error(static_cast<redis::Error::Kind>(kind), what));
}

BrokerError RedisConnection::error_for(const redisReply& reply, std::string_view what,
                                       BrokerError::Kind fallback) const {
  return to_broker_error(conn_->error_for(reply, what, static_cast<redis::Error::Kind>(fallback)));
}

}  // namespace mmx::broker::backends
