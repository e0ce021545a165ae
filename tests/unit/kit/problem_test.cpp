#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "mmx/errors/problem.hpp"
#include "mmx/exec/worker_pool.hpp"

using namespace mmx::errors;
namespace json = boost::json;

TEST(Problem, RendersRfc9457Members) {
  auto body = json::parse(problem_json(not_found("Item 7 does not exist."), "/items/7", "req-1"));
  EXPECT_EQ(body.at("type"), "about:blank");
  EXPECT_EQ(body.at("title"), "Not Found");
  EXPECT_EQ(body.at("status"), 404);
  EXPECT_EQ(body.at("detail"), "Item 7 does not exist.");
  EXPECT_EQ(body.at("instance"), "/items/7");
  EXPECT_EQ(body.at("request_id"), "req-1");
  EXPECT_FALSE(body.as_object().contains("errors"));
}

TEST(Problem, ValidationListsEveryField) {
  auto e = unprocessable({{"/name", "is required"}, {"/lines/0/quantity", "must be between 1 and 100"}});
  auto body = json::parse(problem_json(e, "/x", "r")).as_object();
  EXPECT_EQ(body.at("status"), 422);
  EXPECT_EQ(body.at("detail"), "2 fields are invalid.");
  auto& errs = body.at("errors").as_array();
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[1].at("pointer"), "/lines/0/quantity");
  EXPECT_EQ(errs[1].at("detail"), "must be between 1 and 100");
}

TEST(Problem, HeadersCarried) {
  auto e = method_not_allowed("GET, HEAD, OPTIONS");
  ASSERT_EQ(e.headers().size(), 1u);
  EXPECT_EQ(e.headers()[0].first, "Allow");
  auto t = too_many_requests(7);
  EXPECT_EQ(t.headers()[0].second, "7");
  EXPECT_EQ(unauthorized("no token", "Bearer error=\"invalid_token\"").headers()[0].first,
            "WWW-Authenticate");
}

TEST(Problem, ExceptionMapping) {
  EXPECT_EQ(to_http_error(std::make_exception_ptr(conflict("dup"))).status(), 409);
  EXPECT_EQ(to_http_error(std::make_exception_ptr(
                              mmx::dto::ValidationError(std::vector<mmx::dto::FieldError>{{"/a", "is required"}})))
                .status(),
            422);
  auto overloaded = to_http_error(std::make_exception_ptr(mmx::exec::Overloaded()));
  EXPECT_EQ(overloaded.status(), 503);
  EXPECT_EQ(overloaded.headers()[0].first, "Retry-After");
  // Anything else is an opaque 500: the message must not reach the client.
  auto e = to_http_error(std::make_exception_ptr(std::runtime_error("password=hunter2")));
  EXPECT_EQ(e.status(), 500);
  EXPECT_EQ(problem_json(e, "/", "r").find("hunter2"), std::string::npos);
}

TEST(Problem, EscapesUserTextInDetail) {
  auto body = problem_json(bad_request("quote \" and \n newline"), "/a\"b", "r");
  auto v = json::parse(body);  // still valid JSON
  EXPECT_EQ(v.at("detail"), "quote \" and \n newline");
}
