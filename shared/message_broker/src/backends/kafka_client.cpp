#include "kafka_client.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include "mmx/log/log.hpp"

namespace mmx::broker::backends::kafka {
namespace {

using Kind = BrokerError::Kind;
using namespace std::chrono_literals;

[[noreturn]] void bad_url(const std::string& redacted, std::string_view what) {
  throw BrokerError(Kind::configuration,
                    "kafka broker URL '" + redacted + "': " + std::string(what));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

bool to_int(std::string_view s, long long& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
}

void check_server(const std::string& redacted, std::string_view server) {
  std::string_view host, port;
  if (server.starts_with('[')) {  // [ipv6]:port
    auto close = server.find(']');
    if (close == std::string_view::npos || close + 1 >= server.size() || server[close + 1] != ':')
      bad_url(redacted, "expected [ipv6]:port, got '" + std::string(server) + "'");
    host = server.substr(1, close - 1);
    port = server.substr(close + 2);
  } else {
    auto colon = server.rfind(':');
    if (colon == std::string_view::npos)
      bad_url(redacted, "missing port in '" + std::string(server) + "' (expected host:port)");
    host = server.substr(0, colon);
    port = server.substr(colon + 1);
  }
  long long p = 0;
  if (host.empty()) bad_url(redacted, "empty host in '" + std::string(server) + "'");
  if (!to_int(port, p) || p < 1 || p > 65535)
    bad_url(redacted, "bad port '" + std::string(port) + "' in '" + std::string(server) + "'");
}

int int_option(const std::string& redacted, std::string_view key, std::string_view value,
               long long min, long long max) {
  long long v = 0;
  if (!to_int(value, v) || v < min || v > max)
    bad_url(redacted, std::string(key) + "='" + std::string(value) + "' is not an integer in [" +
                          std::to_string(min) + ", " + std::to_string(max) + "]");
  return static_cast<int>(v);
}

// "5s", "500ms" or a bare number of milliseconds.
std::chrono::milliseconds duration_option(const std::string& redacted, std::string_view key,
                                          std::string_view value) {
  long long scale = 1;
  std::string_view digits = value;
  if (value.ends_with("ms")) {
    digits.remove_suffix(2);
  } else if (value.ends_with('s')) {
    digits.remove_suffix(1);
    scale = 1000;
  }
  long long v = 0;
  if (!to_int(digits, v) || v < 1 || v > 3600000 / scale)
    bad_url(redacted, std::string(key) + "='" + std::string(value) +
                          "' is not a duration such as 5s or 500ms (at most 1 hour)");
  return std::chrono::milliseconds(v * scale);
}

void apply_option(KafkaSettings& s, std::string_view key, std::string_view value) {
  const auto& r = s.redacted_url;
  if (key == "partitions") {
    s.partitions = int_option(r, key, value, 1, 100000);
  } else if (key == "replication") {
    s.replication = int_option(r, key, value, -1, 100);
    if (s.replication == 0) bad_url(r, "replication=0: use -1 for the cluster's default");
  } else if (key == "client_id") {
    if (value.empty()) bad_url(r, "client_id is empty");
    s.client_id = std::string(value);
  } else if (key == "linger_ms") {
    s.linger_ms = int_option(r, key, value, 0, 60000);
  } else if (key == "timeout") {
    s.timeout = duration_option(r, key, value);
  } else if (key == "session_timeout_ms") {
    s.session_timeout_ms = int_option(r, key, value, 1000, 3600000);
  } else if (key.starts_with("sasl") || key.starts_with("ssl") || key.starts_with("security")) {
    bad_url(r, "option '" + std::string(key) + "': TLS and SASL are not supported yet");
  } else {
    bad_url(r, "unknown option '" + std::string(key) +
                   "' (known: partitions, replication, client_id, linger_ms, timeout, "
                   "session_timeout_ms)");
  }
}

void log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  // syslog levels: 0-2 emergency..critical, 3 error, 4 warning. librdkafka reports a lost
  // connection as an error and retries it itself, so only 0-2 are errors for us.
  auto ours = level <= 2 ? mmx::log::Level::error : mmx::log::Level::warn;
  if (!mmx::log::enabled(ours)) return;
  mmx::log::write(ours, "broker", message, nullptr,
                  {{"client", rd_kafka_name(rk)}, {"facility", facility}});
}

}  // namespace

KafkaSettings parse_kafka_url(const std::string& url) {
  KafkaSettings s;
  s.redacted_url = redact_broker_url(url);
  const auto& r = s.redacted_url;
  std::string_view rest(url);
  if (rest.starts_with("kafka+ssl://") || rest.starts_with("kafkas://") ||
      rest.starts_with("kafka+sasl"))
    bad_url(r, "TLS and SASL are not supported yet (use kafka://)");
  if (!rest.starts_with("kafka://")) bad_url(r, "expected kafka://host:port[,host:port...]");
  rest.remove_prefix(8);

  auto query_at = rest.find('?');
  std::string_view query = query_at == std::string_view::npos ? "" : rest.substr(query_at + 1);
  std::string_view authority = rest.substr(0, query_at);
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.find('/') != std::string_view::npos) bad_url(r, "a Kafka URL has no path");
  if (authority.find('@') != std::string_view::npos)
    bad_url(r, "credentials in the URL (SASL) are not supported yet");
  if (authority.empty()) bad_url(r, "no broker address (expected kafka://host:port)");
  for (auto server : split(authority, ',')) {
    if (server.empty()) bad_url(r, "empty broker address in the list");
    check_server(r, server);
  }
  s.bootstrap = std::string(authority);

  if (!query.empty()) {
    for (auto item : split(query, '&')) {
      if (item.empty()) continue;
      auto eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0)
        bad_url(r, "expected key=value in the query, got '" + std::string(item) + "'");
      apply_option(s, item.substr(0, eq), item.substr(eq + 1));
    }
  }
  return s;
}

BrokerError kafka_error(const KafkaSettings& s, Kind kind, std::string_view what) {
  return BrokerError(kind, "kafka broker " + s.redacted_url + ": " + std::string(what));
}

Kind kind_of(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return Kind::authentication;
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__SSL:
      return Kind::configuration;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return Kind::rejected;
    default:
      return Kind::unavailable;
  }
}

void Health::on_error(rd_kafka_resp_err_t err, const char* reason) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION: {
      std::lock_guard lock(mu_);
      reason_ = reason;
      return;  // already logged by librdkafka's log callback
    }
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      all_down_.store(true, std::memory_order_release);
      mmx::log::warn("broker", "kafka: no broker reachable", {{"reason", reason}});
      return;
    default:
      mmx::log::warn("broker", "kafka client error",
                     {{"error", rd_kafka_err2name(err)}, {"reason", reason}});
  }
}

std::string Health::reason() const {
  std::lock_guard lock(mu_);
  return reason_.empty() ? "all brokers are down" : reason_;
}

void set(rd_kafka_conf_t* conf, const KafkaSettings& s, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    throw kafka_error(s, Kind::configuration,
                      std::string("invalid client setting ") + key + "=" + value + ": " + err);
}

ConfPtr base_conf(const KafkaSettings& s) {
  ConfPtr conf(rd_kafka_conf_new());
  set(conf.get(), s, "bootstrap.servers", s.bootstrap);
  set(conf.get(), s, "client.id", s.client_id);
  // Reconnect soon after a broker comes back (default max backoff is 10 s), still without
  // spinning: the backoff grows from 100 ms to 1 s.
  set(conf.get(), s, "reconnect.backoff.ms", "100");
  set(conf.get(), s, "reconnect.backoff.max.ms", "1000");
  set(conf.get(), s, "log_level", "4");
  // Idle connections closed by the broker are routine, not warnings.
  set(conf.get(), s, "log.connection.close", "false");
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  return conf;
}

std::string probe(rd_kafka_t* rk, Health& health, std::chrono::milliseconds timeout,
                  const std::function<void()>& serve) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  // A flag left from an earlier outage may be stale: give librdkafka a reconnect backoff's
  // worth of time before believing it.
  const auto believe_down_after = health.all_down() ? start + std::min(timeout, 1500ms) : start;
  for (;;) {
    const struct rd_kafka_metadata* md = nullptr;
    auto err = rd_kafka_metadata(rk, 0, nullptr, &md, 100);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(md);
      health.mark_up();
      return {};
    }
    serve();
    auto now = std::chrono::steady_clock::now();
    if (health.all_down() && now >= believe_down_after) return health.reason();
    if (now >= deadline)
      return "no answer from any broker within " + std::to_string(timeout.count()) + " ms (" +
             rd_kafka_err2str(err) + ")";
  }
}

}  // namespace mmx::broker::backends::kafka
