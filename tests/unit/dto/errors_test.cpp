#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_types.hpp"

namespace {

using mmx::dto::FieldError;
using mmx::dto::ValidationError;

TEST(Errors, WhatCountsTheErrors) {
  ValidationError e({{"/a", "is required"}, {"/b", "unknown field"}});
  EXPECT_STREQ(e.what(), "validation failed: 2 error(s)");
  ASSERT_EQ(e.errors().size(), 2u);
  EXPECT_EQ(e.errors()[1], (FieldError{"/b", "unknown field"}));
}

TEST(Errors, CopiesShareTheList) {
  ValidationError original(std::vector<FieldError>{{"", "must be an object"}});
  ValidationError copy = original;
  EXPECT_EQ(&copy.errors(), &original.errors());
  EXPECT_STREQ(copy.what(), "validation failed: 1 error(s)");
}

TEST(Errors, IsARuntimeError) {
  try {
    mmx::dto::parse<shop::Line>("nope");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "validation failed: 1 error(s)");
  }
}

TEST(Errors, PointersEscapeTildeAndSlash) {
  try {
    mmx::dto::parse<shop::Line>(R"({"sku":"A","quantity":1,"~/~1":0,"a\/b":0})");
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.errors(),
              (std::vector<FieldError>{{"/~0~1~01", "unknown field"}, {"/a~1b", "unknown field"}}));
  }
}

}  // namespace
