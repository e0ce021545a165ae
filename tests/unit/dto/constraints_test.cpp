#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_types.hpp"

// A namespace with its own `range` and `length`: the macro must still pick mmx::dto's.
namespace catalog::v2 {

inline int range(int, int) { return 0; }
inline int length(int) { return 0; }

struct Rules {
  std::string code;
  std::string exact;
  std::string at_least;
  std::string at_most;
  std::string digit;
  std::string email;
  double ratio = 0;
  int floor = 0;
  int ceiling = 0;
  std::vector<int> list;
  std::map<std::string, int> dict;
  std::optional<int> maybe;
};
BOOST_DESCRIBE_STRUCT(Rules, (),
                      (code, exact, at_least, at_most, digit, email, ratio, floor, ceiling, list,
                       dict, maybe))
MMX_DTO_CONSTRAINTS(Rules, (code, length(1, 5), one_of({"a", "bb", "\xc3\xa9\xc3\xa9"})),
                    (exact, length(3, 3)), (at_least, length(2)), (at_most, length(0, 1)),
                    (digit, pattern("[0-9]")), (email, email()), (ratio, range(0.5, 2.5)),
                    (floor, minimum(0)), (ceiling, maximum(10)), (list, items(1, 2)),
                    (dict, items(0, 2)), (maybe, range(1, 3)))

}  // namespace catalog::v2

namespace broken {
struct BadPattern {
  std::string s;
};
BOOST_DESCRIBE_STRUCT(BadPattern, (), (s))
MMX_DTO_CONSTRAINTS(BadPattern, (s, pattern("([")))
}  // namespace broken

// The macro also works at global scope for a global struct.
struct GlobalDto {
  std::string id;
};
BOOST_DESCRIBE_STRUCT(GlobalDto, (), (id))
MMX_DTO_CONSTRAINTS(GlobalDto, (id, length(2, 2)))

namespace {

using catalog::v2::Rules;
using mmx::dto::FieldError;

Rules valid() {
  Rules r;
  r.code = "bb";
  r.exact = "abc";
  r.at_least = "ab";
  r.at_most = "";
  r.digit = "x1y";  // pattern is a search, as in JSON Schema
  r.email = "ada@example.org";
  r.ratio = 1;
  r.list = {1};
  return r;
}

// Errors from both paths: from_json on the serialized object and validate on the object.
std::vector<FieldError> errors_of(const Rules& r) {
  std::vector<FieldError> from_parse;
  try {
    mmx::dto::from_json<Rules>(mmx::dto::to_json(r));
  } catch (const mmx::dto::ValidationError& e) {
    from_parse = e.errors();
  }
  EXPECT_EQ(from_parse, mmx::dto::validate(r));
  return from_parse;
}

std::vector<FieldError> one(std::string pointer, std::string message) {
  return {FieldError{std::move(pointer), std::move(message)}};
}

TEST(Constraints, ValidObjectPasses) { EXPECT_TRUE(errors_of(valid()).empty()); }

TEST(Constraints, LengthCountsCodePoints) {
  Rules r = valid();
  r.code = "\xc3\xa9\xc3\xa9";  // two code points, four bytes; also in one_of
  EXPECT_TRUE(errors_of(r).empty());
  r.code = "";
  EXPECT_EQ(errors_of(r), one("/code", "must be 1 to 5 characters long"));
  r.code = "abcdef";
  EXPECT_EQ(errors_of(r), one("/code", "must be 1 to 5 characters long"));
}

TEST(Constraints, LengthMessagesAreGrammatical) {
  Rules r = valid();
  r.exact = "ab";
  r.at_least = "a";
  r.at_most = "ab";
  EXPECT_EQ(errors_of(r), (std::vector<FieldError>{
                              {"/exact", "must be exactly 3 characters long"},
                              {"/at_least", "must be at least 2 characters long"},
                              {"/at_most", "must be at most 1 character long"},
                          }));
}

TEST(Constraints, OneOf) {
  Rules r = valid();
  r.code = "c";
  EXPECT_EQ(errors_of(r), one("/code", "must be one of: a, bb, \xc3\xa9\xc3\xa9"));
}

TEST(Constraints, PatternIsAnUnanchoredSearch) {
  Rules r = valid();
  r.digit = "nine";
  EXPECT_EQ(errors_of(r), one("/digit", "must match pattern [0-9]"));
  shop::Address a{"s", "123456"};  // anchored pattern ^[0-9]{5}$
  EXPECT_EQ(mmx::dto::validate(a), one("/zip", "must match pattern ^[0-9]{5}$"));
}

TEST(Constraints, Email) {
  for (const char* good : {"a@b.co", "first.last+tag@sub.example.org"}) {
    Rules r = valid();
    r.email = good;
    EXPECT_TRUE(errors_of(r).empty()) << good;
  }
  for (const char* bad :
       {"", "plain", "@b.co", "a@", "a@b", "a b@c.de", "a@b..co", "a@.b.co", "a@b.co."}) {
    Rules r = valid();
    r.email = bad;
    EXPECT_EQ(errors_of(r), one("/email", "must be a valid email address")) << bad;
  }
}

TEST(Constraints, RangesMinimumsAndMaximums) {
  Rules r = valid();
  r.ratio = 0.25;
  r.floor = -1;
  r.ceiling = 11;
  r.maybe = 4;
  EXPECT_EQ(errors_of(r), (std::vector<FieldError>{
                              {"/ratio", "must be between 0.5 and 2.5"},
                              {"/floor", "must be at least 0"},
                              {"/ceiling", "must be at most 10"},
                              {"/maybe", "must be between 1 and 3"},
                          }));
  r = valid();
  r.ratio = 2.5;
  r.floor = 0;
  r.ceiling = 10;
  r.maybe = 3;
  EXPECT_TRUE(errors_of(r).empty());
}

TEST(Constraints, ItemsOnVectorsAndMaps) {
  Rules r = valid();
  r.list = {};
  r.dict = {{"a", 1}, {"b", 2}, {"c", 3}};
  EXPECT_EQ(errors_of(r), (std::vector<FieldError>{
                              {"/list", "must have 1 to 2 items"},
                              {"/dict", "must have at most 2 entries"},
                          }));
  r.list = {1, 2, 3};
  r.dict = {};
  EXPECT_EQ(errors_of(r), one("/list", "must have 1 to 2 items"));
}

TEST(Constraints, CheckedOnlyAfterTheTypeIsRight) {
  // A wrong type gets one error for its pointer, not a type error plus a constraint error.
  auto v = mmx::dto::to_json(valid());
  v.as_object()["code"] = 12;
  try {
    mmx::dto::from_json<Rules>(v);
    FAIL();
  } catch (const mmx::dto::ValidationError& e) {
    EXPECT_EQ(e.errors(), one("/code", "must be a string"));
  }
}

TEST(Constraints, InvalidPatternFailsLoudlyOnFirstUse) {
  EXPECT_THROW(mmx::dto::validate(broken::BadPattern{}), std::invalid_argument);
}

TEST(Constraints, WorkForGlobalStructs) {
  EXPECT_EQ(mmx::dto::validate(GlobalDto{"abc"}), one("/id", "must be exactly 2 characters long"));
  EXPECT_TRUE(mmx::dto::validate(GlobalDto{"ab"}).empty());
}

TEST(Constraints, NullableOptionalSerializesNull) {
  shop::Order order;
  auto json = mmx::dto::to_json(order).as_object();
  ASSERT_TRUE(json.contains("coupon"));
  EXPECT_TRUE(json.at("coupon").is_null());
  EXPECT_FALSE(json.contains("billing"));  // plain optional: omitted
}

TEST(Constraints, ConstraintsOnOptionalApplyWhenPresent) {
  shop::Order order;
  order.email = "a@b.co";
  order.address = {"s", "12345"};
  order.lines = {{"A", 1}};
  EXPECT_TRUE(mmx::dto::validate(order).empty());
  order.coupon = "abc";
  EXPECT_EQ(mmx::dto::validate(order), one("/coupon", "must be 4 to 12 characters long"));
}

}  // namespace
