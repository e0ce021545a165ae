#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "mmx/dto/dto.hpp"

// Sample DTOs shared by the tests: a request body, a nested order, and one of every type.
namespace shop {

enum class Kind { book, game };
BOOST_DESCRIBE_ENUM(Kind, book, game)

struct Address {
  std::string street;
  std::string zip;
  bool operator==(const Address&) const = default;
};
BOOST_DESCRIBE_STRUCT(Address, (), (street, zip))
MMX_DTO_CONSTRAINTS(Address, (zip, pattern("^[0-9]{5}$")))

struct Line {
  std::string sku;
  int quantity = 0;
  bool operator==(const Line&) const = default;
};
BOOST_DESCRIBE_STRUCT(Line, (), (sku, quantity))
MMX_DTO_CONSTRAINTS(Line, (sku, length(1, 20)), (quantity, range(1, 99)))

struct CreateItem {
  std::string name;
  std::int64_t price_cents = 0;
  std::optional<std::string> note;
  std::string kind;
  std::vector<Line> lines;
  int retries = 3;
};
BOOST_DESCRIBE_STRUCT(CreateItem, (), (name, price_cents, note, kind, lines, retries))
MMX_DTO_CONSTRAINTS(CreateItem,
                    (name, length(1, 100), pattern("^[A-Za-z0-9 _-]+$"),
                     description("Display name")),
                    (price_cents, range(0, 1'000'000)), (kind, one_of({"book", "game"})),
                    (lines, items(1, 50)), (retries, has_default(), range(0, 10)))

struct Order {
  std::int64_t id = 0;
  std::string email;
  Address address;
  std::vector<Line> lines;
  std::optional<Address> billing;
  std::map<std::string, std::int32_t> tags;
  Kind kind = Kind::book;
  mmx::dto::TimePoint placed_at;
  std::optional<std::string> coupon;
};
BOOST_DESCRIBE_STRUCT(Order, (),
                      (id, email, address, lines, billing, tags, kind, placed_at, coupon))
MMX_DTO_CONSTRAINTS(Order, (id, read_only()), (email, email()), (lines, items(1, 50)),
                    (tags, has_default(), items(0, 3)), (kind, has_default()),
                    (coupon, nullable(), length(4, 12)))

struct Everything {
  bool flag = false;
  std::int8_t i8 = 0;
  std::uint8_t u8 = 0;
  std::int16_t i16 = 0;
  std::uint16_t u16 = 0;
  std::int32_t i32 = 0;
  std::uint32_t u32 = 0;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  float f = 0;
  double d = 0;
  std::string s;
  std::optional<int> maybe;
  std::vector<std::string> list;
  std::map<std::string, double> dict;
  Kind kind = Kind::book;
  boost::json::value any;
  boost::json::object obj;
  mmx::dto::TimePoint at;
  Address nested{"Main 1", "12345"};  // valid by default, so Everything{} round-trips
  std::vector<bool> bits;
  bool operator==(const Everything&) const = default;
};
BOOST_DESCRIBE_STRUCT(Everything, (),
                      (flag, i8, u8, i16, u16, i32, u32, i64, u64, f, d, s, maybe, list, dict, kind,
                       any, obj, at, nested, bits))

// An Everything with no member at its default.
inline Everything full_everything() {
  Everything e;
  e.flag = true;
  e.i8 = std::numeric_limits<std::int8_t>::min();
  e.u8 = std::numeric_limits<std::uint8_t>::max();
  e.i16 = -300;
  e.u16 = 65535;
  e.i32 = std::numeric_limits<std::int32_t>::min();
  e.u32 = std::numeric_limits<std::uint32_t>::max();
  e.i64 = std::numeric_limits<std::int64_t>::min();
  e.u64 = std::numeric_limits<std::uint64_t>::max();
  e.f = 1.5f;
  e.d = -0.1;
  e.s = "caf\xc3\xa9 \"quoted\" \\ \n";
  e.maybe = 42;
  e.list = {"a", "", "c"};
  e.dict = {{"pi", 3.14159}, {"a/b", -1}};
  e.kind = Kind::game;
  e.any = boost::json::parse(R"({"x":[1,"two",null,{"y":false}]})");
  e.obj = boost::json::parse(R"({"k":"v"})").as_object();
  e.at = mmx::dto::TimePoint(std::chrono::sys_days(std::chrono::year{2026} / 11 / 24)) +
         std::chrono::microseconds(123456);
  e.nested = {"Main 1", "54321"};
  e.bits = {true, false, true};
  return e;
}

// Self-referencing: schemas must end in a $ref instead of recursing forever.
struct Tree {
  std::string label;
  std::vector<Tree> children;
};
BOOST_DESCRIBE_STRUCT(Tree, (), (label, children))

}  // namespace shop

namespace mmx::dto {
// Readable gtest failures instead of byte dumps.
inline void PrintTo(const FieldError& e, std::ostream* os) {
  *os << "{\"" << e.pointer << "\", \"" << e.message << "\"}";
}
}  // namespace mmx::dto
