#include "mmx/dto/time.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace mmx::dto {

namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;
using std::chrono::seconds;

bool read_digits(std::string_view s, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  return true;
}

// Whole seconds that TimePoint can hold either side of the epoch (about +-292 years with
// nanosecond ticks), keeping a second of slack for the fraction.
constexpr std::int64_t kMaxSeconds = duration_cast<seconds>(TimePoint::duration::max()).count() - 1;
constexpr std::int64_t kMinSeconds = duration_cast<seconds>(TimePoint::duration::min()).count() + 1;

// Two decimal digits of v < 100.
char* put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

}  // namespace

std::optional<TimePoint> parse_date_time(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 20 || !read_digits(s, 0, 4, year) || s[4] != '-' || !read_digits(s, 5, 2, month) ||
      s[7] != '-' || !read_digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !read_digits(s, 11, 2, hour) || s[13] != ':' || !read_digits(s, 14, 2, minute) ||
      s[16] != ':' || !read_digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (s[pos] == '.') {
    const std::size_t start = ++pos;
    std::int64_t scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;  // digits past nanoseconds are truncated
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int offset_hour = 0, offset_minute = 0;
    if (!read_digits(s, pos + 1, 2, offset_hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !read_digits(s, pos + 4, 2, offset_minute) || offset_hour > 23 || offset_minute > 59) {
      return std::nullopt;
    }
    offset_minutes = (offset_hour * 60 + offset_minute) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size() || hour > 23 || minute > 59 || second > 59) return std::nullopt;

  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const std::int64_t total = days * 86'400 + hour * 3'600 + minute * 60 + second -
                             static_cast<std::int64_t>(offset_minutes) * 60;
  if (total > kMaxSeconds || total < kMinSeconds) return std::nullopt;
  return TimePoint(duration_cast<TimePoint::duration>(seconds(total) + nanoseconds(nanos)));
}

void append_date_time(std::string& out, TimePoint tp) {
  // TimePoint holds 64-bit nanoseconds, so every instant falls in the years 1677 to 2262: four
  // digits, never a sign (what "%04d" printed before).
  static_assert(
      std::is_same_v<TimePoint::duration, std::chrono::duration<std::int64_t, std::nano>>);
  // Floor divisions on the count: no conversion of a day back to nanoseconds, which overflows
  // in TimePoint's first partial day.
  const std::int64_t count = tp.time_since_epoch().count();
  std::int64_t secs = count / 1'000'000'000;
  std::int64_t fraction = count % 1'000'000'000;
  if (fraction < 0) {
    fraction += 1'000'000'000;
    --secs;
  }
  std::int64_t day_number = secs / 86'400;
  std::int64_t of_day = secs % 86'400;
  if (of_day < 0) {
    of_day += 86'400;
    --day_number;
  }
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{day_number}}};
  const auto year = static_cast<unsigned>(static_cast<int>(date.year()));

  char buffer[32];  // "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" is 30
  char* p = buffer;
  p = put2(p, year / 100);
  p = put2(p, year % 100);
  *p++ = '-';
  p = put2(p, static_cast<unsigned>(date.month()));
  *p++ = '-';
  p = put2(p, static_cast<unsigned>(date.day()));
  *p++ = 'T';
  p = put2(p, static_cast<unsigned>(of_day / 3'600));
  *p++ = ':';
  p = put2(p, static_cast<unsigned>(of_day / 60 % 60));
  *p++ = ':';
  p = put2(p, static_cast<unsigned>(of_day % 60));
  if (fraction != 0) {
    int digits = 9;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
    *p++ = '.';
    for (int i = digits - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    p += digits;
  }
  *p++ = 'Z';
  out.append(buffer, static_cast<std::size_t>(p - buffer));
}

std::string format_date_time(TimePoint tp) {
  std::string out;
  out.reserve(30);
  append_date_time(out, tp);
  return out;
}

}  // namespace mmx::dto
