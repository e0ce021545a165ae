#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "test_types.hpp"

namespace {

TEST(Serialize, EverySupportedTypeRoundTrips) {
  const shop::Everything e = shop::full_everything();
  EXPECT_EQ(mmx::dto::parse<shop::Everything>(mmx::dto::serialize(e)), e);
  EXPECT_EQ(mmx::dto::from_json<shop::Everything>(mmx::dto::to_json(e)), e);
  const shop::Everything empty{};
  EXPECT_EQ(mmx::dto::parse<shop::Everything>(mmx::dto::serialize(empty)), empty);
}

TEST(Serialize, ProducesTheExpectedJson) {
  auto json = mmx::dto::to_json(shop::full_everything()).as_object();
  EXPECT_EQ(json.at("flag"), true);
  EXPECT_EQ(json.at("i8"), -128);
  EXPECT_EQ(json.at("u64").as_uint64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(json.at("i64").as_int64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(json.at("f").as_double(), 1.5);
  EXPECT_EQ(json.at("maybe"), 42);
  EXPECT_EQ(json.at("kind"), "game");
  EXPECT_EQ(json.at("at"), "2026-11-24T00:00:00.123456Z");
  EXPECT_EQ(json.at("dict").at("a/b"), -1.0);
  EXPECT_EQ(json.at("nested"), boost::json::parse(R"({"street":"Main 1","zip":"54321"})"));
  EXPECT_EQ(json.at("bits"), boost::json::parse("[true,false,true]"));
  EXPECT_EQ(json.at("any"), boost::json::parse(R"({"x":[1,"two",null,{"y":false}]})"));
}

TEST(Serialize, MembersInDeclarationOrderAndOptionalsOmitted) {
  shop::CreateItem item;
  item.name = "Widget";
  item.price_cents = 999;
  item.kind = "book";
  item.lines = {{"A1", 2}};
  EXPECT_EQ(mmx::dto::serialize(item), R"({"name":"Widget","price_cents":999,"kind":"book",)"
                                       R"("lines":[{"sku":"A1","quantity":2}],"retries":3})");
  item.note = "gift";
  EXPECT_EQ(mmx::dto::to_json(item).as_object().at("note"), "gift");
}

TEST(Serialize, UndeclaredEnumValueFallsBackToItsNumber) {
  shop::Everything e;
  e.kind = static_cast<shop::Kind>(7);
  EXPECT_EQ(mmx::dto::to_json(e).as_object().at("kind"), 7);
  EXPECT_EQ(mmx::dto::validate(e),
            (std::vector<mmx::dto::FieldError>{{"/kind", "must be one of: book, game"}}));
}

TEST(Serialize, ResponsesIncludeReadOnlyMembers) {
  shop::Order order;
  order.id = 12;
  auto json = mmx::dto::to_json(order).as_object();
  EXPECT_EQ(json.at("id"), 12);
  EXPECT_EQ(json.at("kind"), "book");
  EXPECT_EQ(json.at("placed_at"), "1970-01-01T00:00:00Z");
}

}  // namespace
