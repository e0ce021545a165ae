#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mmx::dto {

using TimePoint = std::chrono::system_clock::time_point;

// RFC 3339 date-time ("2026-11-24T17:58:07Z", "2026-11-24T17:58:07.25+01:00"). Offsets are
// normalised to UTC; leap seconds (":60") and instants outside TimePoint's range are rejected.
std::optional<TimePoint> parse_date_time(std::string_view text);

// Always UTC with a 'Z'; fractional seconds only when non-zero, trailing zeros trimmed.
std::string format_date_time(TimePoint tp);
// The same text appended to `out`: what the JSON writer uses, with no string of its own.
void append_date_time(std::string& out, TimePoint tp);

}  // namespace mmx::dto
