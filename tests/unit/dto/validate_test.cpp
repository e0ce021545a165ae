#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_types.hpp"

namespace {

using mmx::dto::FieldError;

shop::Order valid_order() {
  shop::Order order;
  order.email = "ada@example.org";
  order.address = {"Main 1", "12345"};
  order.lines = {{"A", 1}};
  return order;
}

TEST(Validate, ValidObjectHasNoErrors) { EXPECT_TRUE(mmx::dto::validate(valid_order()).empty()); }

TEST(Validate, ReportsEveryFailureWithNestedPointers) {
  shop::Order order = valid_order();
  order.email = "nope";
  order.address.zip = "1";
  order.lines = {{"A", 1}, {"", 100}};
  order.billing = shop::Address{"x", "abcde"};
  order.tags = {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}};
  EXPECT_EQ(mmx::dto::validate(order),
            (std::vector<FieldError>{{"/email", "must be a valid email address"},
                                     {"/address/zip", "must match pattern ^[0-9]{5}$"},
                                     {"/lines/1/sku", "must be 1 to 20 characters long"},
                                     {"/lines/1/quantity", "must be between 1 and 99"},
                                     {"/billing/zip", "must match pattern ^[0-9]{5}$"},
                                     {"/tags", "must have at most 3 entries"}}));
}

TEST(Validate, ChecksWhatTheTypeItselfDemands) {
  shop::Everything e;
  e.s = "\xff";
  e.d = std::numeric_limits<double>::quiet_NaN();
  e.list = {"ok", "\xc3"};
  e.dict = {{"\xfe", 1.0}};
  e.any = {{"k", "\xe2\x28\xa1"}};
  EXPECT_EQ(mmx::dto::validate(e), (std::vector<FieldError>{
                                       {"/d", "must be a finite number"},
                                       {"/s", "must be valid UTF-8"},
                                       {"/list/1", "must be valid UTF-8"},
                                       {"/dict/\xEF\xBF\xBD", "must be valid UTF-8"},
                                       {"/any/k", "must be valid UTF-8"},
                                   }));
}

TEST(Validate, EmptyContainersAndNonStructs) {
  EXPECT_TRUE(mmx::dto::validate(std::vector<shop::Line>{}).empty());
  EXPECT_EQ(mmx::dto::validate(std::vector<shop::Line>{{"A", 0}}),
            (std::vector<FieldError>{{"/0/quantity", "must be between 1 and 99"}}));
  EXPECT_TRUE(mmx::dto::validate(std::string("fine")).empty());
}

}  // namespace
