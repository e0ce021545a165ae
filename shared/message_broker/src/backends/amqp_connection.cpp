#include "amqp_connection.hpp"

#include <amqp_tcp_socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server_url.hpp"

namespace mmx::broker::backends {

using Kind = BrokerError::Kind;

timeval to_timeval(std::chrono::milliseconds d) {
  if (d.count() < 0) d = std::chrono::milliseconds(0);
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

std::string to_string(amqp_bytes_t b) {
  return b.len ? std::string(static_cast<const char*>(b.bytes), b.len) : std::string();
}

AmqpConfig parse_amqp_url(const std::string& url) try {
  ServerUrl u = parse_server_url(url, 5672);
  AmqpConfig c;
  c.redacted_url = u.redacted;
  if (u.scheme == "amqps")
    throw configuration_error(u.redacted, "TLS (amqps://) is not supported yet; use amqp://");
  if (u.scheme != "amqp") throw configuration_error(u.redacted, "expected amqp://");
  c.host = u.host;
  c.port = u.port;
  if (!u.user.empty()) c.user = u.user;
  if (u.has_password) c.password = u.password;
  // amqp://host and amqp://host/ both mean the default vhost; "/%2f" spells it explicitly.
  if (!u.path.empty()) c.vhost = u.path;
  c.exchange = u.take("exchange", c.exchange);
  if (c.exchange.empty()) throw configuration_error(u.redacted, "option 'exchange' is empty");
  c.queue_type = u.take("queue_type", c.queue_type);
  if (c.queue_type != "classic" && c.queue_type != "quorum")
    throw configuration_error(u.redacted, "option 'queue_type' must be classic or quorum");
  auto heartbeat = parse_duration(u, "heartbeat", u.take("heartbeat", "30"), std::chrono::seconds(1));
  c.heartbeat_s = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(heartbeat).count());
  if (c.heartbeat_s > 65535) throw configuration_error(u.redacted, "option 'heartbeat' is above 65535s");
  c.connect_timeout = parse_duration(u, "connect_timeout", u.take("connect_timeout", "5s"), std::chrono::seconds(1));
  c.io_timeout = parse_duration(u, "io_timeout", u.take("io_timeout", "10s"), std::chrono::seconds(1));
  if (c.connect_timeout.count() == 0 || c.io_timeout.count() == 0)
    throw configuration_error(u.redacted, "timeouts must be above zero");
  u.reject_unknown_options("exchange, queue_type, heartbeat, connect_timeout, io_timeout");
  return c;
} catch (const redis::Error& e) {
  throw to_broker_error(e);
}

namespace {

// Connects like rabbitmq-c would (non-blocking socket, TCP_NODELAY), but keeps the reason
// a connect failed ("Connection refused", "timed out"), which rabbitmq-c reduces to "a
// socket error occurred". Returns the fd, or -1 with `why` set.
int open_tcp(const std::string& host, int port, std::chrono::milliseconds timeout,
             std::chrono::milliseconds io_timeout, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    why = std::string("cannot resolve the host: ") + gai_strerror(rc);
    return -1;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLOUT, 0};
      int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
      socklen_t len = sizeof err;
      if (ready == 0) err = ETIMEDOUT;
      else if (ready < 0) err = errno;
      else ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    }
    if (err != 0) {
      why = err == ETIMEDOUT ? "timed out after " + std::to_string(timeout.count()) + "ms"
                             : std::string(std::strerror(err));
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Unacknowledged writes fail after io_timeout (the peer vanished without a FIN/RST),
  // since rabbitmq-c itself waits for a writable socket without a deadline.
  unsigned int user_timeout = static_cast<unsigned int>(io_timeout.count());
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
  return fd;
}

// connection.close / channel.close reply codes (AMQP 0-9-1 constants) that mean "fix the
// configuration", as opposed to a server that is going away.
bool is_configuration_code(int code) {
  switch (code) {
    case 403:  // ACCESS_REFUSED (permissions on a resource)
    case 404:  // NOT_FOUND
    case 405:  // RESOURCE_LOCKED (exclusive queue of another connection)
    case 406:  // PRECONDITION_FAILED (declared with other arguments)
    case 530:  // NOT_ALLOWED (no such vhost, or no access to it)
      return true;
    default:
      return false;
  }
}

}  // namespace

AmqpConnection::AmqpConnection(const AmqpConfig& config, std::string_view role) : config_(config) {
  conn_.reset(amqp_new_connection());
  if (!conn_) throw error(Kind::unavailable, "out of memory creating the connection");
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_.get());  // owned by conn_
  if (!socket) throw error(Kind::unavailable, "cannot create a socket");
  std::string why;
  int fd = open_tcp(config_.host, config_.port, config_.connect_timeout, config_.io_timeout, why);
  if (fd < 0) {
    broken_ = true;
    throw error(Kind::unavailable, "cannot connect to " + config_.host + ":" +
                                       std::to_string(config_.port) + ": " + why);
  }
  amqp_tcp_socket_set_sockfd(socket, fd);
  timeval connect_tv = to_timeval(config_.connect_timeout);
  amqp_set_handshake_timeout(conn_.get(), &connect_tv);
  timeval io_tv = to_timeval(config_.io_timeout);
  amqp_set_rpc_timeout(conn_.get(), &io_tv);

  // authentication_failure_close: a refused login is reported as connection.close 403
  // rather than a bare socket close we could not tell from a network failure.
  std::string name = "micromax " + std::string(role);
  amqp_table_entry_t caps[] = {
      {amqp_cstring_bytes("authentication_failure_close"), {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
      {amqp_cstring_bytes("connection.blocked"), {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
      {amqp_cstring_bytes("consumer_cancel_notify"), {AMQP_FIELD_KIND_BOOLEAN, {.boolean = 1}}},
  };
  amqp_table_entry_t props[2];
  props[0].key = amqp_cstring_bytes("capabilities");
  props[0].value.kind = AMQP_FIELD_KIND_TABLE;
  props[0].value.value.table = amqp_table_t{static_cast<int>(std::size(caps)), caps};
  props[1].key = amqp_cstring_bytes("connection_name");
  props[1].value.kind = AMQP_FIELD_KIND_UTF8;
  props[1].value.value.bytes = to_bytes(name);
  amqp_table_t properties{static_cast<int>(std::size(props)), props};
  check_reply(amqp_login_with_properties(conn_.get(), config_.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE,
                                         config_.heartbeat_s, &properties, AMQP_SASL_METHOD_PLAIN,
                                         config_.user.c_str(), config_.password.c_str()),
              "login");
  logged_in_ = true;
  amqp_channel_open(conn_.get(), channel);
  check_rpc("opening a channel");
  channel_open_ = true;
}

AmqpConnection::~AmqpConnection() {
  // A clean close makes the server requeue unacknowledged deliveries at once (it would
  // anyway when the socket drops); bounded by the RPC timeout.
  if (logged_in_ && !broken_) {
    if (channel_open_) amqp_channel_close(conn_.get(), channel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_.get(), AMQP_REPLY_SUCCESS);
  }
}

BrokerError AmqpConnection::error(Kind kind, std::string_view what) {
  return BrokerError(kind, "RabbitMQ at " + config_.redacted_url + ": " + std::string(what));
}

BrokerError AmqpConnection::lost(std::string_view what, int status) {
  broken_ = true;
  std::string text(what);
  if (status != AMQP_STATUS_OK) text += ": " + std::string(amqp_error_string2(status));
  if (!blocked_.empty()) text += " (the server had blocked this connection: " + blocked_ + ")";
  return error(Kind::unavailable, text);
}

void AmqpConnection::check_rpc(std::string_view what) { check_reply(amqp_get_rpc_reply(conn_.get()), what); }

void AmqpConnection::check_reply(const amqp_rpc_reply_t& reply, std::string_view what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_NONE:
      throw lost(std::string(what) + ": no reply from the server", AMQP_STATUS_OK);
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      if (!logged_in_ && reply.library_error == AMQP_STATUS_CONNECTION_CLOSED)
        throw lost(std::string(what) + ": the server closed the connection during the handshake",
                   AMQP_STATUS_OK);
      throw lost(what, reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      throw_server_close(reply.reply, what);
  }
  throw lost(what, AMQP_STATUS_OK);
}

void AmqpConnection::throw_server_close(const amqp_method_t& method, std::string_view what) {
  broken_ = true;
  std::string text(what);
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* close = static_cast<amqp_connection_close_t*>(method.decoded);
    amqp_connection_close_ok_t ok{};
    amqp_send_method(conn_.get(), 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    bool during_login = !logged_in_;
    logged_in_ = false;  // nothing left to close
    int code = close->reply_code;
    text += ": server closed the connection: " + to_string(close->reply_text);
    // 403 while logging in is a refused login: the text says so and names no password.
    if (code == 403 && during_login) throw error(Kind::authentication, text);
    throw error(is_configuration_code(code) ? Kind::configuration : Kind::unavailable, text);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* close = static_cast<amqp_channel_close_t*>(method.decoded);
    amqp_channel_close_ok_t ok{};
    amqp_send_method(conn_.get(), channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
    channel_open_ = false;
    int code = close->reply_code;
    text += ": server closed the channel: " + to_string(close->reply_text);
    throw error(is_configuration_code(code) ? Kind::configuration : Kind::unavailable, text);
  }
  throw error(Kind::unavailable, text + ": unexpected method " + std::to_string(method.id));
}

void AmqpConnection::handle_async_frame(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return;
  const amqp_method_t& m = frame.payload.method;
  switch (m.id) {
    case AMQP_CONNECTION_CLOSE_METHOD:
    case AMQP_CHANNEL_CLOSE_METHOD:
      throw_server_close(m, "while in use");
    case AMQP_CONNECTION_BLOCKED_METHOD:
      blocked_ = to_string(static_cast<amqp_connection_blocked_t*>(m.decoded)->reason);
      if (blocked_.empty()) blocked_ = "blocked";
      return;
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
      blocked_.clear();
      return;
    case AMQP_BASIC_CANCEL_METHOD:
      broken_ = true;
      throw error(Kind::unavailable, "the server cancelled the consumer (queue deleted?)");
    default:
      return;
  }
}

bool AmqpConnection::alive() {
  if (broken_) return false;
  for (;;) {
    amqp_frame_t frame;
    timeval zero{0, 0};
    int status = amqp_simple_wait_frame_noblock(conn_.get(), &frame, &zero);
    if (status == AMQP_STATUS_TIMEOUT) return true;
    if (status != AMQP_STATUS_OK) {
      broken_ = true;
      return false;
    }
    try {
      handle_async_frame(frame);
    } catch (const BrokerError&) {
      return false;
    }
  }
}

void AmqpConnection::declare_exchange(const std::string& name, const char* type) {
  amqp_exchange_declare(conn_.get(), channel, to_bytes(name), amqp_cstring_bytes(type), /*passive=*/0,
                        /*durable=*/1, /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  check_rpc("declaring exchange '" + name + "'");
}

void AmqpConnection::declare_queue(const std::string& name,
                                   const std::vector<std::pair<std::string, std::string>>& args) {
  std::vector<amqp_table_entry_t> entries(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    entries[i].key = to_bytes(args[i].first);
    entries[i].value.kind = AMQP_FIELD_KIND_UTF8;
    entries[i].value.value.bytes = to_bytes(args[i].second);
  }
  amqp_table_t table{static_cast<int>(entries.size()), entries.data()};
  amqp_queue_declare(conn_.get(), channel, to_bytes(name), /*passive=*/0, /*durable=*/1,
                     /*exclusive=*/0, /*auto_delete=*/0, table);
  check_rpc("declaring queue '" + name + "'");
}

void AmqpConnection::bind_queue(const std::string& queue, const std::string& exchange,
                                const std::string& key) {
  amqp_queue_bind(conn_.get(), channel, to_bytes(queue), to_bytes(exchange), to_bytes(key), amqp_empty_table);
  check_rpc("binding queue '" + queue + "' to '" + exchange + "' with key '" + key + "'");
}

}  // namespace mmx::broker::backends
