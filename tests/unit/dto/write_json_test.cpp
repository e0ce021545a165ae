#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "test_types.hpp"

// serialize() writes JSON text directly; these hold it to the tree's text, byte for byte.
namespace shapes {

enum class Color : std::uint8_t { red, green, blue };
BOOST_DESCRIBE_ENUM(Color, red, green, blue)

enum class Level : int { low = -1, mid = 0, high = 1 };
BOOST_DESCRIBE_ENUM(Level, low, mid, high)

enum class Wide : std::uint64_t { one = 1 };
BOOST_DESCRIBE_ENUM(Wide, one)

struct Empty {};
BOOST_DESCRIBE_STRUCT(Empty, (), ())

// Optionals first, last and in between: the comma goes only between members written.
struct Optionals {
  std::optional<int> first;
  std::optional<std::string> nullable_text;
  int middle = 0;
  std::optional<shop::Address> nullable_address;
  std::optional<std::vector<int>> numbers;
  std::optional<shop::Address> address;
  std::optional<std::int64_t> last;
};
BOOST_DESCRIBE_STRUCT(Optionals, (),
                      (first, nullable_text, middle, nullable_address, numbers, address, last))
MMX_DTO_CONSTRAINTS(Optionals, (nullable_text, nullable()), (nullable_address, nullable()))

struct AllOptional {
  std::optional<int> a;
  std::optional<std::string> b;
};
BOOST_DESCRIBE_STRUCT(AllOptional, (), (a, b))

struct Numbers {
  char c = 'A';
  signed char sc = -1;
  unsigned char uc = 255;
  short s = 0;
  long long ll = 0;
  unsigned long long ull = 0;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  float f = 0;
  double d = 0;
  std::vector<double> ds;
};
BOOST_DESCRIBE_STRUCT(Numbers, (), (c, sc, uc, s, ll, ull, i64, u64, f, d, ds))

struct Enums {
  Color color = Color::red;
  Level level = Level::mid;
  Wide wide = Wide::one;
  std::optional<Color> maybe;
  std::vector<Level> levels;
  std::map<std::string, Color> by_name;
};
BOOST_DESCRIBE_STRUCT(Enums, (), (color, level, wide, maybe, levels, by_name))
MMX_DTO_CONSTRAINTS(Enums, (maybe, nullable()))

struct Containers {
  std::vector<shop::Line> lines;
  std::vector<std::vector<int>> grid;
  std::vector<std::optional<int>> holes;
  std::vector<bool> bits;
  std::map<std::string, std::vector<shop::Line>> groups;
  std::map<std::string, std::optional<std::string>> notes;
  std::map<std::string, std::map<std::string, int>> nested;
  std::vector<mmx::dto::TimePoint> times;
  std::optional<std::vector<shop::Address>> addresses;
};
BOOST_DESCRIBE_STRUCT(Containers, (),
                      (lines, grid, holes, bits, groups, notes, nested, times, addresses))
MMX_DTO_CONSTRAINTS(Containers, (addresses, nullable()))

struct Base {
  std::int64_t id = 0;
  std::optional<std::string> name;
};
BOOST_DESCRIBE_STRUCT(Base, (), (id, name))

struct Derived : Base {
  bool active = false;
  mmx::dto::TimePoint created_at;
};
BOOST_DESCRIBE_STRUCT(Derived, (Base), (active, created_at))

// Two bases with a member "x": the tree keeps the first emplaced, and so must the text.
struct Left {
  std::optional<int> x;
};
BOOST_DESCRIBE_STRUCT(Left, (), (x))
struct Right {
  std::string x = "right";
};
BOOST_DESCRIBE_STRUCT(Right, (), (x))
struct Both : Left, Right {
  int y = 2;
};
BOOST_DESCRIBE_STRUCT(Both, (Left, Right), (y))

}  // namespace shapes

namespace {

using mmx::dto::TimePoint;
using namespace std::chrono;

template <class T>
std::string tree_text(const T& value) {
  return boost::json::serialize(mmx::dto::to_json(value));
}

#define EXPECT_SAME_TEXT(value) EXPECT_EQ(mmx::dto::serialize(value), tree_text(value))

const std::vector<double> kDoubles = {0.0,
                                      -0.0,
                                      0.1,
                                      -0.1,
                                      1.5,
                                      -1.5,
                                      9.99,
                                      1e300,
                                      -1e300,
                                      1e21,
                                      1e-7,
                                      123456789012345680.0,
                                      3.141592653589793,
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::lowest(),
                                      std::numeric_limits<double>::min(),
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::epsilon(),
                                      9007199254740993.0,
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::quiet_NaN()};

// Everything with escapes, float rounding and a richer free-form member.
shop::Everything full() {
  shop::Everything e = shop::full_everything();
  e.f = 0.1f;
  e.s += "\t/\x01\x7f";
  e.dict.emplace("", 0);
  e.dict.emplace("\x01\"", 1e300);
  e.any = boost::json::parse(
      R"({"x":[1,"two\u0001",null,{"y":false}],"d":1.5,"u":18446744073709551615})");
  e.obj = boost::json::parse(R"({"k":"v","n":-0.0})").as_object();
  return e;
}

TEST(WriteJson, TestTypes) {
  EXPECT_SAME_TEXT(shop::Everything{});
  EXPECT_SAME_TEXT(full());
  shop::Everything extremes = full();
  extremes.i64 = std::numeric_limits<std::int64_t>::max();
  extremes.u64 = 0;
  extremes.maybe.reset();
  extremes.kind = static_cast<shop::Kind>(7);
  extremes.any = nullptr;
  EXPECT_SAME_TEXT(extremes);

  shop::CreateItem item{"Widget", 999, std::nullopt, "book", {{"A1", 2}, {"B\n", -3}}, 3};
  EXPECT_SAME_TEXT(item);
  item.note = "gift";
  EXPECT_SAME_TEXT(item);

  shop::Order order;
  EXPECT_SAME_TEXT(order);  // coupon is nullable: null; billing is not: left out
  order.id = 12;
  order.email = "a@b.c";
  order.lines = {{"x", 1}};
  order.billing = shop::Address{"Elm", "00001"};
  order.tags = {{"b", 2}, {"a", 1}};
  order.kind = shop::Kind::game;
  order.placed_at = TimePoint(nanoseconds(-1));
  order.coupon = "SAVE10";
  EXPECT_SAME_TEXT(order);

  shop::Tree tree{"root", {{"a", {}}, {"b", {{"b1", {}}, {"b2", {{"deep", {}}}}}}}};
  EXPECT_SAME_TEXT(tree);
  EXPECT_SAME_TEXT(shop::Tree{});
}

TEST(WriteJson, KnownText) {
  shop::CreateItem item{"Widget", 999, std::nullopt, "book", {{"A1", 2}}, 3};
  EXPECT_EQ(mmx::dto::serialize(item), R"({"name":"Widget","price_cents":999,"kind":"book",)"
                                       R"("lines":[{"sku":"A1","quantity":2}],"retries":3})");
  EXPECT_EQ(mmx::dto::serialize(shapes::Empty{}), "{}");
  EXPECT_EQ(mmx::dto::serialize(shapes::AllOptional{}), "{}");
  EXPECT_EQ(mmx::dto::serialize(shapes::AllOptional{std::nullopt, "b"}), R"({"b":"b"})");
  EXPECT_EQ(mmx::dto::serialize(shapes::Optionals{}),
            R"({"nullable_text":null,"middle":0,"nullable_address":null})");
}

TEST(WriteJson, OptionalMembers) {
  shapes::Optionals o;
  EXPECT_SAME_TEXT(o);
  o.first = -7;
  EXPECT_SAME_TEXT(o);
  o.last = 9;
  o.first.reset();
  EXPECT_SAME_TEXT(o);
  o.nullable_text = "";
  o.nullable_address = shop::Address{};
  o.numbers = std::vector<int>{};
  o.address = shop::Address{"a", "b"};
  EXPECT_SAME_TEXT(o);
  o.numbers = std::vector<int>{1, 2, 3};
  o.first = 0;
  EXPECT_SAME_TEXT(o);

  EXPECT_SAME_TEXT(shapes::AllOptional{});
  EXPECT_SAME_TEXT((shapes::AllOptional{1, std::nullopt}));
  EXPECT_SAME_TEXT((shapes::AllOptional{std::nullopt, "x"}));
  EXPECT_SAME_TEXT((shapes::AllOptional{1, "x"}));
  EXPECT_SAME_TEXT(shapes::Empty{});
}

TEST(WriteJson, Numbers) {
  shapes::Numbers n;
  EXPECT_SAME_TEXT(n);
  n.c = '\0';
  n.sc = std::numeric_limits<signed char>::min();
  n.s = std::numeric_limits<short>::min();
  n.ll = std::numeric_limits<long long>::min();
  n.ull = std::numeric_limits<unsigned long long>::max();
  n.i64 = std::numeric_limits<std::int64_t>::min();
  n.u64 = std::numeric_limits<std::uint64_t>::max();
  n.ds = kDoubles;
  EXPECT_SAME_TEXT(n);
  n.i64 = std::numeric_limits<std::int64_t>::max();
  n.u64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
  EXPECT_SAME_TEXT(n);
  for (double d : kDoubles) {
    n.d = d;
    n.f = static_cast<float>(d);
    EXPECT_SAME_TEXT(n) << d;
  }
  for (float f : {0.1f, 1.5f, -0.0f, 3.4e38f, 1e-45f, 16777217.0f}) {
    n.f = f;
    EXPECT_SAME_TEXT(n) << f;
  }
  EXPECT_EQ(mmx::dto::serialize(std::vector<double>{0.1, -0.0, 1.5, 1e300}),
            "[1E-1,-0E0,1.5E0,1E300]");
  EXPECT_SAME_TEXT(std::numeric_limits<std::int64_t>::min());
  EXPECT_SAME_TEXT(std::numeric_limits<std::uint64_t>::max());
}

TEST(WriteJson, Enums) {
  shapes::Enums e;
  EXPECT_SAME_TEXT(e);
  e.color = shapes::Color::blue;
  e.level = shapes::Level::low;
  e.maybe = shapes::Color::green;
  e.levels = {shapes::Level::low, shapes::Level::high, static_cast<shapes::Level>(-40)};
  e.by_name = {{"x", shapes::Color::red}, {"y", static_cast<shapes::Color>(200)}};
  EXPECT_SAME_TEXT(e);
  e.color = static_cast<shapes::Color>(255);
  e.level = static_cast<shapes::Level>(std::numeric_limits<int>::min());
  e.wide = static_cast<shapes::Wide>(std::numeric_limits<std::uint64_t>::max());
  e.maybe = static_cast<shapes::Color>(3);
  EXPECT_SAME_TEXT(e);
  EXPECT_EQ(mmx::dto::serialize(e.wide), "-1");  // undeclared: the number, as int64
}

TEST(WriteJson, Containers) {
  shapes::Containers c;
  EXPECT_SAME_TEXT(c);
  c.lines = {{"a", 1}, {"", 0}, {"\"", -1}};
  c.grid = {{}, {1}, {2, 3}, {}};
  c.holes = {std::nullopt, 1, std::nullopt};
  c.bits = {false, true};
  c.groups = {{"g", {{"s", 1}}}, {"", {}}, {"h\\", {{"t", 2}, {"u", 3}}}};
  c.notes = {{"none", std::nullopt}, {"some", "text"}};
  c.nested = {{"a", {}}, {"b", {{"c", 1}, {"d", 2}}}};
  c.times = {TimePoint{}, TimePoint(nanoseconds(1)), TimePoint(seconds(-86'400 * 365))};
  c.addresses = std::vector<shop::Address>{};
  EXPECT_SAME_TEXT(c);
  c.addresses->push_back({"x", "y"});
  c.addresses->push_back({"z", "w"});
  EXPECT_SAME_TEXT(c);

  // Top-level values that are not structs.
  EXPECT_SAME_TEXT(c.lines);
  EXPECT_SAME_TEXT(c.groups);
  EXPECT_SAME_TEXT(std::vector<int>{});
  EXPECT_SAME_TEXT((std::map<std::string, int>{}));
  EXPECT_SAME_TEXT(std::optional<int>{});
  EXPECT_SAME_TEXT(std::string("top"));
  EXPECT_SAME_TEXT(true);
  EXPECT_SAME_TEXT(boost::json::parse(R"([1,{"a":"\u0000"},2.5])"));
}

TEST(WriteJson, InheritedMembers) {
  shapes::Derived d;
  EXPECT_SAME_TEXT(d);
  d.id = -5;
  d.name = "base";
  d.active = true;
  d.created_at = TimePoint(sys_days(year{1969} / 7 / 20)) + hours(20) + minutes(17);
  EXPECT_SAME_TEXT(d);
  EXPECT_EQ(mmx::dto::serialize(d),
            R"({"id":-5,"name":"base","active":true,"created_at":"1969-07-20T20:17:00Z"})");
}

TEST(WriteJson, SameNameFromTwoBases) {
  static_assert(mmx::dto::detail::has_duplicate_member_names<shapes::Both>());
  static_assert(!mmx::dto::detail::has_duplicate_member_names<shapes::Derived>());
  shapes::Both both;
  EXPECT_SAME_TEXT(both);
  static_cast<shapes::Left&>(both).x = 1;
  EXPECT_SAME_TEXT(both);
}

TEST(WriteJson, EveryByteInAString) {
  std::string all;
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    all += one;
    EXPECT_SAME_TEXT(one) << b;
    EXPECT_SAME_TEXT("ab" + one + "cdefghijklmnop") << b;
    EXPECT_SAME_TEXT((std::map<std::string, std::string>{{one, one}})) << b;
  }
  EXPECT_SAME_TEXT(all);
  EXPECT_SAME_TEXT(all + all);
  EXPECT_EQ(mmx::dto::serialize(std::string("\x00\x1f\x7f\x80\xff\b\f\n\r\t\"\\/", 13)),
            "\"\\u0000\\u001f\x7f\x80\xff\\b\\f\\n\\r\\t\\\"\\\\/\"");
}

TEST(WriteJson, EscapesAtEveryOffsetOfAWord) {
  // The writer skips 8 clean bytes at a time: put the byte needing escape everywhere.
  for (char special : {'\0', '\x1f', '"', '\\', '\n', '\x7f', '\x80'}) {
    for (std::size_t length = 0; length < 40; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'x');
        text[at] = special;
        ASSERT_EQ(mmx::dto::serialize(text), tree_text(text)) << int(special) << " " << at;
      }
    }
  }
}

TEST(WriteJson, Utf8) {
  for (const char* text :
       {"caf\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9d\x84\x9e", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
        "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x80\xa8\xe2\x80\xa9", ""}) {
    EXPECT_SAME_TEXT(std::string(text)) << text;
  }
}

TEST(WriteJson, TimePoints) {
  const TimePoint day = TimePoint(sys_days(year{2026} / 11 / 24));
  for (TimePoint tp : {TimePoint{}, TimePoint(nanoseconds(1)), TimePoint(nanoseconds(-1)),
                       day + nanoseconds(1), day + milliseconds(250), day + microseconds(123456),
                       day + nanoseconds(999'999'999), TimePoint(sys_days(year{1900} / 1 / 1)),
                       TimePoint(sys_days(year{1969} / 12 / 31)) + seconds(86'399),
                       TimePoint::min(), TimePoint::max()}) {
    EXPECT_SAME_TEXT(tp);
    shop::Order order;
    order.placed_at = tp;
    EXPECT_SAME_TEXT(order);
  }
  EXPECT_EQ(mmx::dto::serialize(TimePoint{}), R"("1970-01-01T00:00:00Z")");
}

// Random values from a fixed seed: strings heavy in bytes that need escaping, numbers from random
// bit patterns (NaN, infinities and subnormals included), instants over TimePoint's whole range.
class Random {
 public:
  std::string text() {
    static constexpr char kAlphabet[] = "aZ09 _-/\"\\\b\f\n\r\t\x01\x1f\x7f\x80\xc3\xa9\xff";
    std::string s(pick(0, 24), '\0');
    for (char& c : s) {
      c = coin() ? kAlphabet[pick(0, static_cast<int>(sizeof kAlphabet) - 2)]
                 : static_cast<char>(pick(0, 255));
    }
    return s;
  }
  double number() {
    switch (pick(0, 3)) {
      case 0:
        return std::bit_cast<double>(engine_());
      case 1:
        return static_cast<double>(static_cast<std::int64_t>(engine_())) / 1000;
      case 2:
        return std::ldexp(static_cast<double>(pick(0, 1'000'000)), pick(-1074, 960));
      default:
        return static_cast<double>(pick(-100, 100)) / 10;
    }
  }
  // Any magnitude, either sign, int64's min and max included.
  std::int64_t integer() {
    const auto magnitude = static_cast<std::int64_t>(engine_() >> pick(1, 63));
    return coin() ? magnitude : -magnitude - static_cast<std::int64_t>(coin());
  }
  TimePoint instant() { return TimePoint(nanoseconds(static_cast<std::int64_t>(engine_()))); }
  bool coin() { return engine_() & 1; }
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(engine_); }

  shop::Everything everything() {
    shop::Everything e;
    e.flag = coin();
    e.i8 = static_cast<std::int8_t>(integer());
    e.u8 = static_cast<std::uint8_t>(integer());
    e.i16 = static_cast<std::int16_t>(integer());
    e.u16 = static_cast<std::uint16_t>(integer());
    e.i32 = static_cast<std::int32_t>(integer());
    e.u32 = static_cast<std::uint32_t>(integer());
    e.i64 = integer();
    e.u64 = engine_() >> pick(0, 63);
    e.f = static_cast<float>(number());
    e.d = number();
    e.s = text();
    if (coin()) e.maybe = static_cast<int>(integer());
    for (int i = pick(0, 4); i > 0; --i) e.list.push_back(text());
    for (int i = pick(0, 4); i > 0; --i) e.dict[text()] = number();
    e.kind = static_cast<shop::Kind>(pick(0, 3));
    e.any = boost::json::value(text());
    e.obj[text()] = number();
    e.at = instant();
    e.nested = {text(), text()};
    for (int i = pick(0, 3); i > 0; --i) e.bits.push_back(coin());
    return e;
  }

  shop::Order order() {
    shop::Order o;
    o.id = integer();
    o.email = text();
    o.address = {text(), text()};
    for (int i = pick(0, 3); i > 0; --i) o.lines.push_back({text(), static_cast<int>(integer())});
    if (coin()) o.billing = shop::Address{text(), text()};
    for (int i = pick(0, 3); i > 0; --i) o.tags[text()] = static_cast<std::int32_t>(integer());
    o.kind = static_cast<shop::Kind>(pick(0, 2));
    o.placed_at = instant();
    if (coin()) o.coupon = text();
    return o;
  }

 private:
  std::mt19937_64 engine_{0x5eed};
};

TEST(WriteJson, RandomValues) {
  Random random;
  for (int i = 0; i < 3'000; ++i) {
    const shop::Everything e = random.everything();
    ASSERT_EQ(mmx::dto::serialize(e), tree_text(e)) << i;
    const shop::Order o = random.order();
    ASSERT_EQ(mmx::dto::serialize(o), tree_text(o)) << i;
  }
  std::vector<shop::Order> page;
  for (int i = 0; i < 20; ++i) page.push_back(random.order());
  EXPECT_SAME_TEXT(page);
  for (int i = 0; i < 20'000; ++i) {
    const double d = random.number();
    ASSERT_EQ(mmx::dto::serialize(d), tree_text(d)) << i;
    const std::int64_t n = random.integer();
    ASSERT_EQ(mmx::dto::serialize(n), tree_text(n)) << i;
    const auto u = static_cast<std::uint64_t>(n);
    ASSERT_EQ(mmx::dto::serialize(u), tree_text(u)) << i;
  }
}

TEST(WriteJson, SizeHintDoesNotChangeTheText) {
  // serialize() reserves from the previous size for a type: a long then a short text, and back.
  std::vector<std::string> texts = {std::string(100'000, 'x'), "", std::string(3, '"'),
                                    std::string(5'000'000, '\n'), "short"};
  for (const auto& text : texts) EXPECT_SAME_TEXT(text);
}

}  // namespace
