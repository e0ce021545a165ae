#pragma once
// Server URLs (scheme://user:password@host:port/path?options): one place that decodes
// userinfo, host, port, path and ?options, and that builds error messages which name the
// redacted URL, never the password. Redis URLs are built on it; the broker's amqp:// parser
// uses it too (it was the broker's until a second library needed redis:// URLs).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "mmx/redis/error.hpp"

namespace mmx::redis {

struct ServerUrl {
  std::string label;     // what the URL is, for messages: "broker URL", "MMX_CACHE_URL"
  std::string redacted;  // for every message we produce
  std::string scheme;
  std::string user, password;
  bool has_password = false;
  std::string host;
  int port = 0;
  std::string path;  // percent-decoded, without the leading '/'
  std::map<std::string, std::string, std::less<>> options;  // ?key=value, decoded

  // Removes and returns an option (so that what is left over can be reported as unknown).
  std::string take(std::string_view key, std::string fallback);
  // Throws configuration naming the first option nobody took (catches typos).
  void reject_unknown_options(std::string_view known) const;
  // Error(configuration): "invalid <label> '<redacted>': <what>".
  Error error(const std::string& what) const;
};

// Throws Error(configuration) when the URL does not parse or has no host.
ServerUrl parse_server_url(const std::string& url, int default_port, std::string label);

// "5s", "250ms", "2m", or a bare number in `bare_unit`. Throws configuration naming `name`.
std::chrono::milliseconds parse_duration(const ServerUrl& url, std::string_view name,
                                         const std::string& value,
                                         std::chrono::milliseconds bare_unit);
// A non-negative integer option. Throws configuration naming `name`.
std::uint64_t parse_count(const ServerUrl& url, std::string_view name, const std::string& value);

}  // namespace mmx::redis
