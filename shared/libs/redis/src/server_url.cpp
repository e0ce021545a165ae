#include "mmx/redis/server_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

#include "mmx/db/url.hpp"

namespace mmx::redis {

Error ServerUrl::error(const std::string& what) const {
  return Error(Error::Kind::configuration, "invalid " + label + " '" + redacted + "': " + what);
}

ServerUrl parse_server_url(const std::string& url, int default_port, std::string label) {
  ServerUrl out;
  out.label = std::move(label);
  out.redacted = db::redact_url(url);
  auto parsed = boost::urls::parse_uri(url);
  // Boost's message says what is malformed but never echoes the input, so no password leaks.
  if (!parsed) throw out.error("malformed URL (" + parsed.error().message() + ")");
  const auto& u = *parsed;
  out.scheme = u.scheme();
  if (u.has_userinfo()) {
    out.user = u.user();
    out.has_password = u.has_password();
    out.password = u.password();
    // "scheme://secret@host" may be a password written without its ':', which
    // db::redact_url() leaves alone: hide the whole userinfo then.
    if (!out.has_password) {
      auto start = url.find("://") + 3;
      out.redacted = url.substr(0, start) + "***" + url.substr(start + u.encoded_userinfo().size());
    }
  }
  out.host = u.host_address();
  if (out.host.empty()) throw out.error("no host");
  out.port = default_port;
  if (u.has_port()) {
    // port_number() wraps values above 65535, so parse the text.
    std::string_view text = u.port();
    unsigned port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535)
      throw out.error("port must be 1-65535");
    out.port = static_cast<int>(port);
  }
  out.path = u.path();  // decoded: amqp's "/%2f" is the vhost "/"
  if (out.path.starts_with('/')) out.path.erase(0, 1);
  if (u.has_fragment()) throw out.error("unexpected #fragment");
  for (auto param : u.params()) {
    if (param.key.empty()) continue;
    if (!out.options.emplace(param.key, param.value).second)
      throw out.error("option '" + param.key + "' given twice");
  }
  return out;
}

std::string ServerUrl::take(std::string_view key, std::string fallback) {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  std::string value = std::move(it->second);
  options.erase(it);
  return value;
}

void ServerUrl::reject_unknown_options(std::string_view known) const {
  if (options.empty()) return;
  throw error("unknown option '" + options.begin()->first + "' (known: " + std::string(known) + ")");
}

std::chrono::milliseconds parse_duration(const ServerUrl& url, std::string_view name,
                                         const std::string& value,
                                         std::chrono::milliseconds bare_unit) {
  std::uint64_t n = 0;
  const char* end = value.data() + value.size();
  auto [rest, ec] = std::from_chars(value.data(), end, n);
  std::string_view unit(rest, static_cast<std::size_t>(end - rest));
  std::chrono::milliseconds scale{0};
  if (unit.empty()) scale = bare_unit;
  else if (unit == "ms") scale = std::chrono::milliseconds(1);
  else if (unit == "s") scale = std::chrono::seconds(1);
  else if (unit == "m" || unit == "min") scale = std::chrono::minutes(1);
  if (ec != std::errc{} || rest == value.data() || scale.count() == 0 || n > 86'400'000)
    throw url.error("option '" + std::string(name) + "': '" + value +
                    "' is not a duration (e.g. 5s, 250ms)");
  return scale * static_cast<std::int64_t>(n);
}

std::uint64_t parse_count(const ServerUrl& url, std::string_view name, const std::string& value) {
  std::uint64_t n = 0;
  auto [rest, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc{} || rest != value.data() + value.size() || value.empty())
    throw url.error("option '" + std::string(name) + "': '" + value +
                    "' is not a non-negative integer");
  return n;
}

}  // namespace mmx::redis
