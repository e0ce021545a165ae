#include <chrono>
#include <string>

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
