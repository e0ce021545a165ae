#pragma once
// Parsers for setting values; each returns nullopt on bad input so the caller can name
// the setting in the error.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/config/config.hpp"

namespace mmx::config {

std::optional<std::int64_t> parse_integer(std::string_view s);
std::optional<bool> parse_boolean(std::string_view s);          // true/false/1/0/yes/no/on/off
std::optional<std::int64_t> parse_duration_ms(std::string_view s);  // "250ms", "30s", "5m", "1h", "1.5s"
std::optional<std::uint64_t> parse_size(std::string_view s);    // "512", "64KiB", "1MiB", "2GiB", "10kB"
std::optional<HostPort> parse_host_port(std::string_view s);    // "127.0.0.1:8000", "[::1]:80", ":8000"
std::string_view trim(std::string_view s);  // leading and trailing whitespace
// "a, b,,c" -> {"a", "b", "c"}: comma lists in settings (targets, CORS origins).
std::vector<std::string> split_list(std::string_view s);

}  // namespace mmx::config
