#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_types.hpp"

namespace {

using namespace std::chrono;
using mmx::dto::format_date_time;
using mmx::dto::parse_date_time;
using mmx::dto::TimePoint;

TimePoint at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s);
}

// format_date_time as it was before append_date_time, on snprintf: the reference for the new one.
// It converts the day back to nanoseconds, which overflows in TimePoint's first partial day, so
// it is only asked about later instants.
std::string snprintf_date_time(TimePoint tp) {
  const auto days = floor<std::chrono::days>(tp);
  const year_month_day date(days);
  const auto since_midnight = duration_cast<nanoseconds>(tp - days);
  const hh_mm_ss<nanoseconds> time(since_midnight);
  char buffer[64];
  int n = std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                        static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                        static_cast<int>(time.minutes().count()),
                        static_cast<int>(time.seconds().count()));
  std::string out(buffer, static_cast<std::size_t>(n));
  if (const auto fraction = time.subseconds().count(); fraction != 0) {
    std::snprintf(buffer, sizeof buffer, ".%09lld", static_cast<long long>(fraction));
    std::string digits(buffer);
    digits.erase(digits.find_last_not_of('0') + 1);
    out += digits;
  }
  out += 'Z';
  return out;
}

constexpr std::int64_t kNanosPerDay = 86'400'000'000'000;
// The first instant whose day starts inside TimePoint's range (1677-09-22T00:00:00Z).
const std::int64_t kFirstWholeDay =
    duration_cast<nanoseconds>(ceil<days>(TimePoint::min()).time_since_epoch()).count();

TEST(Time, ParsesUtc) {
  EXPECT_EQ(parse_date_time("2026-11-24T17:58:07Z"), at(2026, 11, 24, 17, 58, 7));
  EXPECT_EQ(parse_date_time("2026-11-24t17:58:07z"), at(2026, 11, 24, 17, 58, 7));
  EXPECT_EQ(parse_date_time("1969-12-31T23:59:59Z"), TimePoint(seconds(-1)));
  EXPECT_EQ(parse_date_time("2024-02-29T00:00:00Z"), at(2024, 2, 29, 0, 0, 0));
}

TEST(Time, ParsesFractionalSeconds) {
  EXPECT_EQ(parse_date_time("2026-11-24T17:58:07.5Z"),
            at(2026, 11, 24, 17, 58, 7) + milliseconds(500));
  EXPECT_EQ(parse_date_time("2026-11-24T17:58:07.123456789Z"),
            at(2026, 11, 24, 17, 58, 7) + nanoseconds(123456789));
  // Digits beyond the clock's nanoseconds are truncated, not rejected.
  EXPECT_EQ(parse_date_time("2026-11-24T17:58:07.1234567899Z"),
            at(2026, 11, 24, 17, 58, 7) + nanoseconds(123456789));
}

TEST(Time, NormalisesOffsetsToUtc) {
  EXPECT_EQ(parse_date_time("2026-11-24T19:58:07+02:00"), at(2026, 11, 24, 17, 58, 7));
  EXPECT_EQ(parse_date_time("2026-11-24T12:28:07.25-05:30"),
            at(2026, 11, 24, 17, 58, 7) + milliseconds(250));
  EXPECT_EQ(parse_date_time("2026-01-01T00:30:00+01:00"), at(2025, 12, 31, 23, 30, 0));
}

TEST(Time, RejectsWhatIsNotRfc3339) {
  for (const char* bad : {"",
                          "2026-11-24",
                          "2026-11-24T17:58:07",
                          "2026-11-24 17:58:07Z",
                          "2026-11-24T17:58Z",
                          "2026-13-01T00:00:00Z",
                          "2026-02-29T00:00:00Z",
                          "2026-11-31T00:00:00Z",
                          "2026-11-24T24:00:00Z",
                          "2026-11-24T17:60:00Z",
                          "2026-11-24T17:58:60Z",
                          "2026-11-24T17:58:07.Z",
                          "2026-11-24T17:58:07+2:00",
                          "2026-11-24T17:58:07+0200",
                          "2026-11-24T17:58:07+24:00",
                          "2026-11-24T17:58:07Zjunk",
                          "20261-11-24T17:58:07Z",
                          "2026-1a-24T17:58:07Z",
                          "9999-12-31T23:59:59Z",
                          "1000-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_date_time(bad).has_value()) << bad;
  }
}

TEST(Time, FormatsUtcWithTrimmedFraction) {
  EXPECT_EQ(format_date_time(at(2026, 11, 24, 17, 58, 7)), "2026-11-24T17:58:07Z");
  EXPECT_EQ(format_date_time(at(2026, 11, 24, 17, 58, 7) + milliseconds(250)),
            "2026-11-24T17:58:07.25Z");
  EXPECT_EQ(format_date_time(at(2026, 11, 24, 17, 58, 7) + nanoseconds(1)),
            "2026-11-24T17:58:07.000000001Z");
  EXPECT_EQ(format_date_time(TimePoint(milliseconds(-1))), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_date_time(TimePoint{}), "1970-01-01T00:00:00Z");
}

TEST(Time, AppendDateTimeMatchesTheSnprintfFormatting) {
  std::vector<std::int64_t> counts = {0,
                                      1,
                                      -1,
                                      999'999'999,
                                      -999'999'999,
                                      1'000'000'000,
                                      -1'000'000'000,
                                      kNanosPerDay - 1,
                                      -kNanosPerDay,
                                      -kNanosPerDay - 1,
                                      kFirstWholeDay,
                                      kFirstWholeDay + 1,
                                      std::numeric_limits<std::int64_t>::max(),
                                      std::numeric_limits<std::int64_t>::max() - 1};
  std::mt19937_64 random(20261124);
  std::uniform_int_distribution<std::int64_t> any(kFirstWholeDay,
                                                  std::numeric_limits<std::int64_t>::max());
  // Whole seconds, milliseconds and microseconds too, so every fraction length is trimmed to.
  for (std::int64_t unit :
       {std::int64_t{1}, std::int64_t{10}, std::int64_t{1'000}, std::int64_t{1'000'000},
        std::int64_t{100'000'000}, std::int64_t{1'000'000'000}, kNanosPerDay}) {
    for (int i = 0; i < 20'000; ++i) {
      const std::int64_t count = any(random) / unit * unit;
      counts.push_back(count < kFirstWholeDay ? count + unit : count);
    }
  }
  for (std::int64_t count : counts) {
    const TimePoint tp{nanoseconds(count)};
    std::string appended = "prefix ";
    mmx::dto::append_date_time(appended, tp);
    ASSERT_EQ(appended, "prefix " + snprintf_date_time(tp)) << count;
    ASSERT_EQ(format_date_time(tp), snprintf_date_time(tp)) << count;
  }
}

TEST(Time, FormatsTheWholeRangeOfTimePoint) {
  EXPECT_EQ(format_date_time(TimePoint::min()), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(format_date_time(TimePoint::min() + nanoseconds(807)),
            "1677-09-21T00:12:43.145224999Z");
  EXPECT_EQ(format_date_time(TimePoint{nanoseconds(kFirstWholeDay - 1)}),
            "1677-09-21T23:59:59.999999999Z");
  EXPECT_EQ(format_date_time(TimePoint{nanoseconds(kFirstWholeDay)}), "1677-09-22T00:00:00Z");
  EXPECT_EQ(format_date_time(TimePoint::max()), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(format_date_time(at(1900, 2, 28, 23, 59, 59) + seconds(1)), "1900-03-01T00:00:00Z");
  EXPECT_EQ(format_date_time(at(2000, 2, 29, 12, 0, 0)), "2000-02-29T12:00:00Z");
}

TEST(Time, RoundTripsThroughText) {
  for (auto tp : {at(2026, 11, 24, 17, 58, 7) + nanoseconds(123456789), at(1900, 1, 1, 0, 0, 0),
                  at(2262, 1, 1, 0, 0, 0)}) {
    EXPECT_EQ(parse_date_time(format_date_time(tp)), tp);
  }
}

TEST(Time, DtoMemberErrorsSayWhatIsExpected) {
  boost::json::value v = mmx::dto::to_json(shop::Everything{});
  v.as_object()["at"] = "2026-11-24T17:58:07+02:00";
  EXPECT_EQ(mmx::dto::from_json<shop::Everything>(v).at, at(2026, 11, 24, 15, 58, 7));
  v.as_object()["at"] = "yesterday";
  try {
    mmx::dto::from_json<shop::Everything>(v);
    FAIL();
  } catch (const mmx::dto::ValidationError& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].pointer, "/at");
    EXPECT_EQ(e.errors()[0].message, "must be an RFC 3339 date-time such as 2026-11-24T17:58:07Z");
  }
  v.as_object()["at"] = 1764007087;
  EXPECT_THROW(mmx::dto::from_json<shop::Everything>(v), mmx::dto::ValidationError);
}

}  // namespace
