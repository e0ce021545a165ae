#include <gtest/gtest.h>

#include "mmx/http/router.hpp"

using namespace mmx::http;

namespace {
Handler noop() {
  return [](Request&) -> awaitable<Response> { co_return Response::empty(); };
}
}  // namespace

TEST(Router, StaticAndTypedParameters) {
  Router r;
  r.get("/items", noop());
  r.get("/items/{id:int}", noop());
  r.get("/items/new", noop());
  r.get("/users/{name}/posts/{post:uuid}", noop());

  auto m = r.match(Method::get, "/items/42");
  ASSERT_EQ(m.kind, Match::Kind::found);
  EXPECT_EQ(m.route->path, "/items/{id:int}");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "42");

  m = r.match(Method::get, "/items/new");
  ASSERT_EQ(m.kind, Match::Kind::found);
  EXPECT_EQ(m.route->path, "/items/new");  // static wins over the parameter

  m = r.match(Method::get, "/users/a%20b/posts/123e4567-e89b-12d3-a456-426614174000");
  ASSERT_EQ(m.kind, Match::Kind::found);
  EXPECT_EQ(m.params[0].second, "a b");  // percent-decoded
}

TEST(Router, TypeMismatchIsBadParamNotNotFound) {
  Router r;
  r.get("/items/{id:int}", noop());
  auto m = r.match(Method::get, "/items/abc");
  EXPECT_EQ(m.kind, Match::Kind::bad_param);
  EXPECT_EQ(m.bad_param, "id");
  EXPECT_EQ(m.bad_param_message, "must be an integer");
  // Overflowing integers are rejected rather than wrapped.
  EXPECT_EQ(r.match(Method::get, "/items/99999999999999999999999").kind, Match::Kind::bad_param);
}

TEST(Router, BacktracksFromStaticToParameter) {
  Router r;
  r.get("/a/new", noop());
  r.get("/a/{id}/edit", noop());
  auto m = r.match(Method::get, "/a/new/edit");
  ASSERT_EQ(m.kind, Match::Kind::found);
  EXPECT_EQ(m.route->path, "/a/{id}/edit");
  EXPECT_EQ(m.params[0].second, "new");
}

TEST(Router, NotFoundAndMethodNotAllowedWithAllow) {
  Router r;
  r.get("/x", noop());
  r.post("/x", noop());
  EXPECT_EQ(r.match(Method::get, "/nope").kind, Match::Kind::not_found);
  EXPECT_EQ(r.match(Method::get, "/x/y").kind, Match::Kind::not_found);
  auto m = r.match(Method::del, "/x");
  ASSERT_EQ(m.kind, Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST, OPTIONS");
}

TEST(Router, HeadFallsBackToGet) {
  Router r;
  r.get("/x", noop());
  auto m = r.match(Method::head, "/x");
  ASSERT_EQ(m.kind, Match::Kind::found);
  EXPECT_EQ(m.route->method, Method::get);
}

TEST(Router, PathWildcardTakesTheRest) {
  Router r;
  r.get("/static/{file:path}", noop());
  auto m = r.match(Method::get, "/static/swagger-ui/swagger-ui.css");
  ASSERT_EQ(m.kind, Match::Kind::found);
  EXPECT_EQ(m.params[0].second, "swagger-ui/swagger-ui.css");
}

TEST(Router, RejectsConflictsAndDuplicatesAtRegistration) {
  Router r;
  r.get("/items/{id:int}", noop());
  EXPECT_THROW(r.get("/items/{slug}", noop()), std::logic_error);
  EXPECT_THROW(r.get("/items/{id:int}", noop()), std::logic_error);
  EXPECT_THROW(r.get("no-slash", noop()), std::logic_error);
  EXPECT_THROW(r.get("/f/{x:float}", noop()), std::logic_error);
  EXPECT_THROW(r.get("/f/{x:path}/more", noop()), std::logic_error);
}

TEST(Router, MalformedPercentEncodingDoesNotMatch) {
  Router r;
  r.get("/u/{name}", noop());
  EXPECT_EQ(r.match(Method::get, "/u/%zz").kind, Match::Kind::not_found);
  EXPECT_EQ(r.match(Method::get, "/u/%4").kind, Match::Kind::not_found);
}

TEST(Router, OpenApiPathStripsTypes) {
  Router r;
  auto b = r.get("/a/{id:int}/b/{name}", noop());
  EXPECT_EQ(b.route().openapi_path(), "/a/{id}/b/{name}");
}

TEST(PercentDecode, PlusIsSpaceOnlyInQueries) {
  std::string out;
  ASSERT_TRUE(percent_decode("a+b%2Fc", out, true));
  EXPECT_EQ(out, "a b/c");
  ASSERT_TRUE(percent_decode("a+b", out, false));
  EXPECT_EQ(out, "a+b");
  EXPECT_FALSE(percent_decode("%g1", out, false));
}
