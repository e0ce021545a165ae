// Args: a statement's typed parameters, owned by its coroutine frame (mmx/db/args.hpp).
#include "mmx/db/args.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "mmx/dto/time.hpp"

using namespace mmx::db;

namespace {

std::string_view text(const Param& p) {
  EXPECT_EQ(p.kind, Param::Kind::text);
  EXPECT_EQ(p.data[p.size], '\0') << "text must be NUL-terminated for libpq";
  return {p.data, p.size};
}

bool inside(const void* p, const void* object, std::size_t size) {
  auto* b = static_cast<const char*>(object);
  return static_cast<const char*>(p) >= b && static_cast<const char*>(p) < b + size;
}

}  // namespace

TEST(Args, ScalarsAreViewsAndTextIsCopied) {
  std::string name = "lamp";
  std::optional<std::string> none;
  std::optional<std::int64_t> seven = 7;
  Args<7> a(std::int64_t{42}, name, true, 2.5, none, seven, "literal");
  name = "changed";  // copied, not referred to
  auto s = a.span();
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].kind, Param::Kind::integer);
  EXPECT_EQ(s[0].integer, 42);
  EXPECT_EQ(text(s[1]), "lamp");
  EXPECT_EQ(s[2].kind, Param::Kind::boolean);
  EXPECT_TRUE(s[2].boolean);
  EXPECT_EQ(s[3].kind, Param::Kind::real);
  EXPECT_DOUBLE_EQ(s[3].real, 2.5);
  EXPECT_EQ(s[4].kind, Param::Kind::null);
  EXPECT_EQ(s[5].kind, Param::Kind::integer);
  EXPECT_EQ(s[5].integer, 7);
  EXPECT_EQ(text(s[6]), "literal");
}

TEST(Args, AMoveRepointsTextAtTheNewObject) {
  const std::string long_text(1000, 'x');  // spills to the heap
  Args<4> first(std::string("short"), long_text, std::string(), std::int64_t{1});
  Args<4> second(std::move(first));
  Args<4> third(std::move(second));
  auto s = third.span();
  EXPECT_EQ(text(s[0]), "short");
  EXPECT_EQ(text(s[1]), long_text);
  EXPECT_EQ(text(s[2]), "");
  EXPECT_EQ(s[3].integer, 1);
  // Nothing points into the moved-from objects (which a coroutine frame outlives).
  for (const Param& p : s) {
    EXPECT_FALSE(inside(p.data, &first, sizeof first));
    EXPECT_FALSE(inside(p.data, &second, sizeof second));
  }
  EXPECT_TRUE(inside(s[0].data, &third, sizeof third));
}

TEST(Args, TextBeyondTheBufferSpillsArgumentByArgument) {
  // Each fits alone; together they overflow the in-object buffer part way.
  std::string a(100, 'a'), b(100, 'b'), c(100, 'c');
  Args<3> args(a, b, c);
  Args<3> moved(std::move(args));
  auto s = moved.span();
  EXPECT_EQ(text(s[0]), a);
  EXPECT_EQ(text(s[1]), b);
  EXPECT_EQ(text(s[2]), c);
  EXPECT_TRUE(inside(s[0].data, &moved, sizeof moved));
  EXPECT_FALSE(inside(s[2].data, &moved, sizeof moved)) << "the third should have spilled";
}

TEST(Args, OtherTypesConvertAsToDbValueDoes) {
  const auto t = *mmx::dto::parse_date_time("2026-11-24T10:00:00.25Z");
  Value v = std::string("from a Value");
  Blob empty;
  Blob bytes{{1, 0, 2}};
  Args<4> a(t, v, empty, bytes);
  auto s = a.span();
  EXPECT_EQ(text(s[0]), std::get<std::string>(to_db_value(t)));
  EXPECT_EQ(text(s[1]), "from a Value");
  EXPECT_EQ(s[2].kind, Param::Kind::blob);
  EXPECT_EQ(s[2].size, 0u);
  EXPECT_NE(s[2].data, nullptr) << "a null pointer would bind SQL NULL, not an empty blob";
  EXPECT_EQ(s[3].kind, Param::Kind::blob);
  ASSERT_EQ(s[3].size, 3u);
  EXPECT_EQ(s[3].data[1], 0);
  EXPECT_EQ(s[3].data[2], 2);
}

TEST(ParamViews, ViewTheValuesOfAVector) {
  Params few;
  few.emplace_back(std::int64_t{1});
  few.emplace_back(std::string("two"));
  few.emplace_back();
  ParamViews views(few);
  ASSERT_EQ(views.span().size(), 3u);
  EXPECT_EQ(views.span()[0].integer, 1);
  EXPECT_EQ(text(views.span()[1]), "two");
  EXPECT_EQ(views.span()[2].kind, Param::Kind::null);
  Params many;
  for (int i = 0; i < 20; ++i) many.emplace_back(std::int64_t{i});
  ParamViews more(many);
  ASSERT_EQ(more.span().size(), 20u);
  EXPECT_EQ(more.span()[19].integer, 19);
  EXPECT_EQ(value_of(more.span()[19]), many[19]);
  EXPECT_EQ(value_of(views.span()[1]), few[1]);
}
