#pragma once
// One AMQP 0-9-1 connection to RabbitMQ with a single channel, over rabbitmq-c. Owns the
// socket, logs in, turns every rabbitmq-c / server error into a BrokerError naming the
// redacted URL, and declares the topology. Used by one thread at a time.
#include <amqp.h>

#include <chrono>
#include <memory>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/broker/backend.hpp"

namespace mmx::broker::backends {

struct AmqpConfig {
  std::string redacted_url;
  std::string host;
  int port = 5672;
  std::string user = "guest", password = "guest";
  std::string vhost = "/";
  std::string exchange = "micromax";
  std::string queue_type = "classic";  // or "quorum" (counts deliveries: real attempts)
  int heartbeat_s = 30;
  std::chrono::milliseconds connect_timeout{5000};
  // Bound on any wait for the server once connected: RPCs, publisher confirms, and
  // unacknowledged writes (TCP_USER_TIMEOUT), so a dead peer never hangs a caller.
  std::chrono::milliseconds io_timeout{10000};
};

// Throws BrokerError(configuration) naming what is wrong.
AmqpConfig parse_amqp_url(const std::string& url);

class AmqpConnection {
 public:
  static constexpr amqp_channel_t channel = 1;

  // Connects, logs in and opens the channel; throws BrokerError (unavailable,
  // authentication, configuration). `role` names the connection in the management UI.
  AmqpConnection(const AmqpConfig& config, std::string_view role);
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  amqp_connection_state_t get() const { return conn_.get(); }
  bool broken() const { return broken_; }

  // Throws the BrokerError for the last RPC's reply unless it succeeded; any failure
  // leaves the connection broken (we never try to revive a channel: we reconnect).
  void check_rpc(std::string_view what);
  void check_reply(const amqp_rpc_reply_t& reply, std::string_view what);
  // For a frame that is not the one we waited for: connection.close / channel.close are
  // answered and thrown; connection.blocked is remembered; anything else is ignored.
  void handle_async_frame(const amqp_frame_t& frame);
  // Marks the connection unusable and returns the error to throw.
  BrokerError lost(std::string_view what, int status);
  BrokerError error(BrokerError::Kind kind, std::string_view what);

  // Processes frames that already arrived, without blocking. False when the server has
  // closed the connection meanwhile (restart, missed heartbeats): reconnect before use.
  bool alive();

  void declare_exchange(const std::string& name, const char* type);
  void declare_queue(const std::string& name, const std::vector<std::pair<std::string, std::string>>& args);
  void bind_queue(const std::string& queue, const std::string& exchange, const std::string& key);

  // The reason RabbitMQ gave in connection.blocked ("" when not blocked): a publisher
  // waiting for confirms reports it (low disk / memory alarm) instead of a bare timeout.
  const std::string& blocked_reason() const { return blocked_; }

 private:
  [[noreturn]] void throw_server_close(const amqp_method_t& method, std::string_view what);

  struct Destroy {
    void operator()(amqp_connection_state_t c) const { amqp_destroy_connection(c); }
  };

  AmqpConfig config_;
  // Freed (socket closed) even when the constructor throws half-way.
  std::unique_ptr<std::remove_pointer_t<amqp_connection_state_t>, Destroy> conn_;
  bool broken_ = false;
  bool logged_in_ = false;
  bool channel_open_ = false;
  std::string blocked_;
};

timeval to_timeval(std::chrono::milliseconds d);
std::string to_string(amqp_bytes_t b);
inline amqp_bytes_t to_bytes(std::string_view s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

}  // namespace mmx::broker::backends
