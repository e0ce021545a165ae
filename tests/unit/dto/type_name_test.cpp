#include <string>

#include <gtest/gtest.h>

#include "test_types.hpp"

namespace shop {

template <class T>
struct Page {
  std::vector<T> items;
};

struct Renamed {
  int x = 0;
};

}  // namespace shop

template <>
struct mmx::dto::Name<shop::Renamed> {
  static constexpr std::string_view value = "ItemV2";
};

struct GlobalLike {};

namespace {

struct Hidden {};

TEST(TypeName, IsTheUnqualifiedName) {
  EXPECT_EQ(mmx::dto::type_name<shop::CreateItem>(), "CreateItem");
  EXPECT_EQ(mmx::dto::type_name<GlobalLike>(), "GlobalLike");
}

TEST(TypeName, AnonymousNamespaceAndLocalClasses) {
  struct Local {};
  EXPECT_EQ(mmx::dto::type_name<Hidden>(), "Hidden");
  EXPECT_EQ(mmx::dto::type_name<Local>(), "Local");
}

TEST(TypeName, TemplatesBecomeComponentSafeNames) {
  EXPECT_EQ(mmx::dto::type_name<shop::Page<shop::Line>>(), "Page_Line");
}

TEST(TypeName, CanBeOverridden) { EXPECT_EQ(mmx::dto::type_name<shop::Renamed>(), "ItemV2"); }

}  // namespace
