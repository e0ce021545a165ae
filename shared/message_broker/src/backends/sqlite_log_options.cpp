#include "sqlite_log_options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "mmx/broker/backend.hpp"

namespace mmx::broker::backends::sqlite_log {
namespace {

[[noreturn]] void bad(const std::string& url, const std::string& what) {
  throw BrokerError(BrokerError::Kind::configuration, "broker URL '" + url + "': " + what);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "<digits><unit>" split; nullopt when there are no leading digits or they overflow.
std::optional<std::pair<std::int64_t, std::string>> number_and_unit(std::string_view v) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end == v.data() || n < 0) return std::nullopt;
  return std::pair{n, lower(std::string_view(end, v.data() + v.size() - end))};
}

std::optional<std::int64_t> scaled(std::int64_t n, std::int64_t factor) {
  if (factor != 0 && n > INT64_MAX / factor) return std::nullopt;
  return n * factor;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view v) {
  if (lower(v) == "off" || lower(v) == "forever") return std::chrono::milliseconds{0};
  auto nu = number_and_unit(v);
  if (!nu) return std::nullopt;
  static const std::pair<const char*, std::int64_t> units[] = {
      {"ms", 1},        {"s", 1000},       {"m", 60'000},
      {"h", 3'600'000}, {"d", 86'400'000}, {"w", 604'800'000}};
  if (nu->second.empty() && nu->first == 0) return std::chrono::milliseconds{0};
  for (auto [unit, factor] : units)
    if (nu->second == unit)
      if (auto ms = scaled(nu->first, factor)) return std::chrono::milliseconds{*ms};
  return std::nullopt;
}

std::optional<std::int64_t> parse_size(std::string_view v) {
  if (lower(v) == "off" || lower(v) == "unlimited") return 0;
  auto nu = number_and_unit(v);
  if (!nu) return std::nullopt;
  static const std::pair<const char*, std::int64_t> units[] = {{"", 1},
                                                               {"b", 1},
                                                               {"kb", 1000},
                                                               {"mb", 1000'000},
                                                               {"gb", 1000'000'000},
                                                               {"tb", 1000'000'000'000},
                                                               {"kib", 1 << 10},
                                                               {"mib", 1 << 20},
                                                               {"gib", 1LL << 30},
                                                               {"tib", 1LL << 40}};
  for (auto [unit, factor] : units)
    if (nu->second == unit) return scaled(nu->first, factor);
  return std::nullopt;
}

}  // namespace

Options parse_options(const std::string& url, const std::string& data_dir) {
  std::string_view rest(url);
  if (!rest.starts_with("sqlite:")) bad(url, "expected sqlite:PATH");
  rest.remove_prefix(7);
  // sqlite:///abs/path and sqlite://rel/path are accepted too (the URL-ish spellings).
  if (rest.starts_with("//")) rest.remove_prefix(2);
  auto q = rest.find('?');
  std::string path(rest.substr(0, q));
  std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
  if (path.empty()) bad(url, "missing the file path (sqlite:PATH)");
  if (path == ":memory:" || path.starts_with("file:"))
    bad(url, "the path must name a file (the log is shared between processes)");

  Options o;
  std::set<std::string, std::less<>> seen;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string name(item.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
    if (!seen.insert(name).second) bad(url, "option '" + name + "' is given twice");
    if (name == "partitions") {
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n < 1 || n > 1024)
        bad(url, "option 'partitions' must be an integer from 1 to 1024, got '" + value + "'");
      o.partitions = n;
    } else if (name == "retention") {
      auto d = parse_duration(value);
      if (!d)
        bad(url, "option 'retention' must be a duration such as 30s, 12h, 7d or off, got '" +
                     value + "'");
      o.retention = *d;
    } else if (name == "max_bytes") {
      auto s = parse_size(value);
      if (!s)
        bad(url,
            "option 'max_bytes' must be a size such as 500MB, 1GiB or off, got '" + value + "'");
      o.max_bytes = *s;
    } else if (name == "synchronous") {
      if (lower(value) != "normal" && lower(value) != "full")
        bad(url, "option 'synchronous' must be normal or full, got '" + value + "'");
      o.synchronous_full = lower(value) == "full";
    } else if (name == "busy_timeout") {
      auto d = parse_duration(value);
      if (!d || d->count() <= 0)
        bad(url,
            "option 'busy_timeout' must be a positive duration such as 5s, got '" + value + "'");
      o.busy_timeout = *d;
    } else {
      bad(url, "unknown option '" + name +
                   "' (known: partitions, retention, max_bytes, synchronous, busy_timeout)");
    }
  }

  std::filesystem::path p(path);
  if (p.is_relative() && !data_dir.empty()) p = std::filesystem::path(data_dir) / p;
  o.path = p.lexically_normal().string();
  o.label = "sqlite:" + o.path;
  return o;
}

}  // namespace mmx::broker::backends::sqlite_log
