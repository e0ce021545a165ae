#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_types.hpp"

namespace {

struct Free {
  boost::json::value any;
};
BOOST_DESCRIBE_STRUCT(Free, (), (any))

using mmx::dto::Direction;
using mmx::dto::FieldError;
using mmx::dto::ValidationError;

// The errors parse<T> throws for `json`, or an empty list when it parses.
template <class T>
std::vector<FieldError> errors_of(std::string_view json, Direction direction = Direction::request) {
  try {
    mmx::dto::parse<T>(json, direction);
  } catch (const ValidationError& e) {
    return e.errors();
  }
  return {};
}

std::vector<FieldError> one(std::string pointer, std::string message) {
  return {FieldError{std::move(pointer), std::move(message)}};
}

constexpr std::string_view kValidItem =
    R"({"name":"Widget","price_cents":999,"kind":"book","lines":[{"sku":"A1","quantity":2}]})";

TEST(Parse, ReadsAValidBodyAndKeepsDefaults) {
  auto item = mmx::dto::parse<shop::CreateItem>(kValidItem);
  EXPECT_EQ(item.name, "Widget");
  EXPECT_EQ(item.price_cents, 999);
  EXPECT_EQ(item.kind, "book");
  ASSERT_EQ(item.lines.size(), 1u);
  EXPECT_EQ(item.lines[0], (shop::Line{"A1", 2}));
  EXPECT_FALSE(item.note.has_value());
  EXPECT_EQ(item.retries, 3);  // has_default(): absent keeps the member initializer
}

TEST(Parse, HasDefaultMemberCanStillBeSent) {
  auto item = mmx::dto::parse<shop::CreateItem>(
      R"({"name":"W","price_cents":1,"kind":"game","lines":[{"sku":"A","quantity":1}],"retries":7})");
  EXPECT_EQ(item.retries, 7);
}

TEST(Parse, OptionalAbsentNullOrPresent) {
  const std::string base =
      R"({"name":"W","price_cents":1,"kind":"book","lines":[{"sku":"A","quantity":1}])";
  EXPECT_FALSE(mmx::dto::parse<shop::CreateItem>(base + "}").note);
  EXPECT_FALSE(mmx::dto::parse<shop::CreateItem>(base + R"(,"note":null})").note);
  EXPECT_EQ(mmx::dto::parse<shop::CreateItem>(base + R"(,"note":"hi"})").note, "hi");
  EXPECT_EQ(errors_of<shop::CreateItem>(base + R"(,"note":5})"), one("/note", "must be a string"));
}

TEST(Parse, MissingRequiredMembersAreAllReported) {
  EXPECT_EQ(errors_of<shop::CreateItem>("{}"),
            (std::vector<FieldError>{{"/name", "is required"},
                                     {"/price_cents", "is required"},
                                     {"/kind", "is required"},
                                     {"/lines", "is required"}}));
}

TEST(Parse, EveryBadFieldIsReportedNotJustTheFirst) {
  auto errors = errors_of<shop::CreateItem>(
      R"({"name":"","price_cents":-5,"kind":"toy","lines":[{"sku":"A","quantity":1}],"retries":11})");
  EXPECT_EQ(errors, (std::vector<FieldError>{{"/name", "must be 1 to 100 characters long"},
                                             {"/price_cents", "must be between 0 and 1000000"},
                                             {"/kind", "must be one of: book, game"},
                                             {"/retries", "must be between 0 and 10"}}));
}

TEST(Parse, NestedPointersIntoVectorsAndStructs) {
  auto errors = errors_of<shop::Order>(R"({
    "email": "a@b.co",
    "address": {"street": "Main 1", "zip": "12a45"},
    "lines": [{"sku":"A","quantity":1}, {"sku":"B","quantity":2}, {"sku":"","quantity":0}],
    "billing": {"street": 4},
    "placed_at": "2026-11-24T17:58:07Z"})");
  EXPECT_EQ(errors, (std::vector<FieldError>{{"/address/zip", "must match pattern ^[0-9]{5}$"},
                                             {"/lines/2/sku", "must be 1 to 20 characters long"},
                                             {"/lines/2/quantity", "must be between 1 and 99"},
                                             {"/billing/street", "must be a string"},
                                             {"/billing/zip", "is required"}}));
}

TEST(Parse, UnknownFieldsAreRejectedWithEscapedPointers) {
  std::string body(kValidItem);
  body.pop_back();
  body += R"(,"color":"red","a/b~c":1})";
  EXPECT_EQ(errors_of<shop::CreateItem>(body),
            (std::vector<FieldError>{{"/color", "unknown field"}, {"/a~1b~0c", "unknown field"}}));
  EXPECT_EQ(errors_of<shop::Line>(R"({"sku":"A","quantity":1,"":0})"), one("/", "unknown field"));
}

TEST(Parse, WrongTypesSayWhatWasExpected) {
  EXPECT_EQ(errors_of<shop::CreateItem>(
                R"({"name":5,"price_cents":"9","kind":null,"lines":{},"retries":true})"),
            (std::vector<FieldError>{{"/name", "must be a string"},
                                     {"/price_cents", "must be an integer"},
                                     {"/kind", "must be a string"},
                                     {"/lines", "must be an array"},
                                     {"/retries", "must be an integer"}}));
  EXPECT_EQ(errors_of<shop::Order>(R"({"email":"a@b.co","address":[],"lines":[7],)"
                                   R"("placed_at":"2026-11-24T17:58:07Z","tags":[]})"),
            (std::vector<FieldError>{{"/address", "must be an object"},
                                     {"/lines/0", "must be an object"},
                                     {"/tags", "must be an object"}}));
}

TEST(Parse, RootMustBeAnObject) {
  EXPECT_EQ(errors_of<shop::CreateItem>("[]"), one("", "must be an object"));
  EXPECT_EQ(errors_of<shop::CreateItem>("42"), one("", "must be an object"));
}

TEST(Parse, NonStructRootsWork) {
  auto lines = mmx::dto::parse<std::vector<shop::Line>>(R"([{"sku":"A","quantity":1}])");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(errors_of<std::vector<shop::Line>>(R"([{"sku":"A","quantity":100}])"),
            one("/0/quantity", "must be between 1 and 99"));
}

TEST(Parse, IntegersMustBeIntegerTokensWithinTheType) {
  const std::string rest = R"("kind":"book","lines":[{"sku":"A","quantity":1}]})";
  EXPECT_EQ(errors_of<shop::CreateItem>(R"({"name":"W","price_cents":3.0,)" + rest),
            one("/price_cents", "must be an integer"));
  EXPECT_EQ(errors_of<shop::CreateItem>(R"({"name":"W","price_cents":1.5,)" + rest),
            one("/price_cents", "must be an integer"));
  EXPECT_EQ(errors_of<shop::Line>(R"({"sku":"A","quantity":99999999999})"),
            one("/quantity", "must be an integer between -2147483648 and 2147483647"));
}

TEST(Parse, HugeIntegersAreOutOfRangeNotMistyped) {
  using shop::Everything;
  auto e = mmx::dto::from_json<Everything>(mmx::dto::to_json(Everything{}));
  auto body = [](std::string_view member, std::string_view number) {
    auto v = mmx::dto::to_json(Everything{});
    auto text = boost::json::serialize(v);
    std::string key = "\"" + std::string(member) + "\":0";
    text.replace(text.find(key), key.size(),
                 "\"" + std::string(member) + "\":" + std::string(number));
    return text;
  };
  EXPECT_EQ(errors_of<Everything>(body("i64", "99999999999999999999")),
            one("/i64", "must be an integer between -9223372036854775808 and 9223372036854775807"));
  EXPECT_EQ(errors_of<Everything>(body("u64", "-1")),
            one("/u64", "must be an integer between 0 and 18446744073709551615"));
  EXPECT_EQ(errors_of<Everything>(body("u64", "184467440737095516150")),
            one("/u64", "must be an integer between 0 and 18446744073709551615"));
  EXPECT_EQ(errors_of<Everything>(body("i8", "128")),
            one("/i8", "must be an integer between -128 and 127"));
  EXPECT_EQ(errors_of<Everything>(body("u8", "256")),
            one("/u8", "must be an integer between 0 and 255"));
  EXPECT_EQ(mmx::dto::parse<Everything>(body("u64", "18446744073709551615")).u64,
            18446744073709551615u);
  EXPECT_EQ(mmx::dto::parse<Everything>(body("i64", "-9223372036854775808")).i64, INT64_MIN);
  EXPECT_EQ(e, Everything{});
}

TEST(Parse, NumbersAcceptIntegersButNotInfinity) {
  using shop::Everything;
  auto text = boost::json::serialize(mmx::dto::to_json(Everything{}));
  auto with = [&](std::string_view replacement) {
    std::string t = text;
    t.replace(t.find("\"d\":0E0"), 7, replacement);
    return t;
  };
  EXPECT_EQ(mmx::dto::parse<Everything>(with(R"("d":7)")).d, 7.0);
  EXPECT_EQ(mmx::dto::parse<Everything>(with(R"("d":-2.5)")).d, -2.5);
  EXPECT_EQ(errors_of<Everything>(with(R"("d":1e400)")), one("/d", "must be a finite number"));
  EXPECT_EQ(errors_of<Everything>(with(R"("d":"1")")), one("/d", "must be a number"));
  std::string f = text;
  f.replace(f.find("\"f\":0E0"), 7, R"("f":1e39)");
  EXPECT_EQ(errors_of<Everything>(f),
            one("/f", "must be between -3.4028234663852886e+38 and 3.4028234663852886e+38"));
}

TEST(Parse, EnumsAreTheirEnumeratorNames) {
  auto order = mmx::dto::parse<shop::Order>(
      R"({"email":"a@b.co","address":{"street":"s","zip":"12345"},)"
      R"("lines":[{"sku":"A","quantity":1}],"placed_at":"2026-11-24T17:58:07Z","kind":"game"})");
  EXPECT_EQ(order.kind, shop::Kind::game);
  EXPECT_EQ(
      errors_of<shop::Order>(
          R"({"email":"a@b.co","address":{"street":"s","zip":"12345"},)"
          R"("lines":[{"sku":"A","quantity":1}],"placed_at":"2026-11-24T17:58:07Z","kind":"Game"})"),
      one("/kind", "must be one of: book, game"));
  EXPECT_EQ(
      errors_of<shop::Order>(
          R"({"email":"a@b.co","address":{"street":"s","zip":"12345"},)"
          R"("lines":[{"sku":"A","quantity":1}],"placed_at":"2026-11-24T17:58:07Z","kind":1})"),
      one("/kind", "must be one of: book, game"));
}

constexpr std::string_view kOrderWithId =
    R"({"id":7,"email":"a@b.co","address":{"street":"s","zip":"12345"},)"
    R"("lines":[{"sku":"A","quantity":1}],"placed_at":"2026-11-24T17:58:07Z"})";

TEST(Parse, ReadOnlyMembersAreRejectedInRequestsAndReadInResponses) {
  EXPECT_EQ(errors_of<shop::Order>(kOrderWithId), one("/id", "read-only field"));
  EXPECT_EQ(mmx::dto::parse<shop::Order>(kOrderWithId, Direction::response).id, 7);
  // Leaving it out of a request is the normal case, not a missing member.
  std::string without(kOrderWithId);
  without.erase(1, 7);
  EXPECT_EQ(mmx::dto::parse<shop::Order>(without).id, 0);
  EXPECT_EQ(errors_of<shop::Order>(without, Direction::response), one("/id", "is required"));
}

TEST(Parse, MapsReadEveryEntry) {
  std::string body(kOrderWithId);
  body.erase(1, 7);
  body.pop_back();
  auto order = mmx::dto::parse<shop::Order>(body + R"(,"tags":{"b":2,"a":1}})");
  EXPECT_EQ(order.tags, (std::map<std::string, std::int32_t>{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(errors_of<shop::Order>(body + R"(,"tags":{"a":"x","c/d":1.5}})"),
            (std::vector<FieldError>{{"/tags/a", "must be an integer"},
                                     {"/tags/c~1d", "must be an integer"}}));
}

TEST(Parse, MalformedJsonIsOneRootError) {
  EXPECT_EQ(errors_of<shop::Line>(R"({"sku":"A",})"),
            one("", "malformed JSON: syntax error at offset 11"));
  EXPECT_EQ(errors_of<shop::Line>(""), one("", "malformed JSON: incomplete JSON at offset 0"));
  EXPECT_EQ(errors_of<shop::Line>(R"({"sku":"A")"),
            one("", "malformed JSON: incomplete JSON at offset 10"));
  EXPECT_EQ(errors_of<shop::Line>(R"({} {})"), one("", "malformed JSON: extra data at offset 3"));
}

TEST(Parse, NestingDeeperThan64IsRejected) {
  auto nested = [](int depth) {
    // {"any": [[...]]}: the object is one level, each array another.
    return R"({"any":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  EXPECT_NO_THROW(mmx::dto::parse<Free>(nested(64)));
  EXPECT_EQ(errors_of<Free>(nested(65)),
            one("", "malformed JSON: nested deeper than 64 levels at offset 70"));
}

TEST(Parse, InvalidUtf8IsReportedAtItsPointer) {
  EXPECT_EQ(errors_of<shop::Line>("{\"sku\":\"\xff\",\"quantity\":1}"),
            one("/sku", "must be valid UTF-8"));
  EXPECT_EQ(errors_of<shop::Line>("{\"sku\":\"\xc0\xaf\",\"quantity\":1}"),  // overlong '/'
            one("/sku", "must be valid UTF-8"));
  EXPECT_EQ(errors_of<shop::Line>("{\"sku\":\"\xed\xa0\x80\",\"quantity\":1}"),  // surrogate
            one("/sku", "must be valid UTF-8"));
  EXPECT_EQ(errors_of<shop::Line>("{\"sku\":\"ok\",\"quantity\":1,\"k\xff\":1}"),
            one("/k\xEF\xBF\xBD", "unknown field"));
  auto body = boost::json::serialize(mmx::dto::to_json(shop::Everything{}));
  body.replace(body.find("\"any\":null"), 10, "\"any\":{\"x\":[\"\xe2\x82\"]}");
  EXPECT_EQ(errors_of<shop::Everything>(body), one("/any/x/0", "must be valid UTF-8"));
  EXPECT_EQ(
      mmx::dto::parse<shop::Line>("{\"sku\":\"\xe2\x82\xac\xf0\x9f\x98\x80\",\"quantity\":1}").sku,
      "\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(Parse, FromJsonTakesAValue) {
  boost::json::value v = {{"sku", "A"}, {"quantity", 3}};
  EXPECT_EQ(mmx::dto::from_json<shop::Line>(v), (shop::Line{"A", 3}));
  boost::json::value bad = {{"sku", "A"}};
  try {
    mmx::dto::from_json<shop::Line>(bad);
    FAIL() << "expected ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.errors(), one("/quantity", "is required"));
  }
}

}  // namespace
