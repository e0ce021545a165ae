#include "mmx/config/parse.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace mmx::config {
std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    std::string_view item = trim(s.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  }
  return out;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "1.5s" into 1.5 and "s".
bool split_number_unit(std::string_view s, double& number, std::string& unit) {
  s = trim(s);
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return false;
  auto r = std::from_chars(s.data(), s.data() + i, number);
  if (r.ec != std::errc() || r.ptr != s.data() + i || !std::isfinite(number) || number < 0) {
    return false;
  }
  unit = lower(trim(s.substr(i)));
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_integer(std::string_view s) {
  s = trim(s);
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> parse_boolean(std::string_view s) {
  auto v = lower(trim(s));
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view s) {
  double n = 0;
  std::string unit;
  if (!split_number_unit(s, n, unit)) return std::nullopt;
  double ms;
  if (unit == "ms") ms = n;
  else if (unit == "s") ms = n * 1000;
  else if (unit == "m") ms = n * 60'000;
  else if (unit == "h") ms = n * 3'600'000;
  else return std::nullopt;  // a bare number is ambiguous: demand a unit
  if (ms > 9.0e15) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(ms));
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
  double n = 0;
  std::string unit;
  if (!split_number_unit(s, n, unit)) return std::nullopt;
  double mult;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "kb") mult = 1e3;
  else if (unit == "mb") mult = 1e6;
  else if (unit == "gb") mult = 1e9;
  else if (unit == "kib" || unit == "k") mult = 1024.0;
  else if (unit == "mib" || unit == "m") mult = 1024.0 * 1024;
  else if (unit == "gib" || unit == "g") mult = 1024.0 * 1024 * 1024;
  else return std::nullopt;
  double v = n * mult;
  if (v > 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(v));
}

std::optional<HostPort> parse_host_port(std::string_view s) {
  s = trim(s);
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return std::nullopt;
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = s.substr(0, colon);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
    port = s.substr(colon + 1);
  }
  auto p = parse_integer(port);
  if (!p || *p < 0 || *p > 65535) return std::nullopt;
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/') return std::nullopt;
  }
  return HostPort{host.empty() ? std::string("0.0.0.0") : std::string(host),
                  static_cast<std::uint16_t>(*p)};
}

}  // namespace mmx::config
