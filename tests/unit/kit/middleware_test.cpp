#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "mmx/errors/http_error.hpp"
#include "mmx/http/observe.hpp"
#include "mmx/http/route.hpp"
#include "test_support.hpp"

using namespace mmx::http;
namespace json = boost::json;

namespace {

class Recorder final : public Middleware {
 public:
  Recorder(std::vector<std::string>& log, std::string name) : log_(log), name_(std::move(name)) {}
  awaitable<Response> handle(Request& req, Next next) override {
    log_.push_back(name_);
    co_return co_await next(req);
  }

 private:
  std::vector<std::string>& log_;
  std::string name_;
};

struct Named {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Named, (), (name))

Handler ok_handler() {
  return [](Request&) -> awaitable<Response> { co_return Response::text("ok"); };
}

}  // namespace

TEST(Pipeline, StagesRunInOrderWhateverTheRegistrationOrder) {
  std::vector<std::string> log;
  Pipeline p;
  p.use(Stage::auth, std::make_shared<Recorder>(log, "auth"));
  p.use(Stage::observe, std::make_shared<Recorder>(log, "observe"));
  p.use(Stage::rate_limit, std::make_shared<Recorder>(log, "rate"));
  p.use(Stage::cors, std::make_shared<Recorder>(log, "cors"));
  auto req = Request::make(Method::get, "/");
  Handler h = ok_handler();
  auto resp = mmx::test::run(p.run(req, h));
  EXPECT_EQ(resp.body, "ok");
  EXPECT_EQ(log, (std::vector<std::string>{"observe", "cors", "rate", "auth"}));

  log.clear();
  mmx::test::run(p.run(req, h, Stage::observe));
  EXPECT_EQ(log, (std::vector<std::string>{"observe"}));
}

TEST(Observe, RequestIdKeptWhenSaneReplacedWhenNot) {
  Pipeline p;
  p.use(Stage::observe, request_context_middleware());
  Handler h = ok_handler();
  auto req = Request::make(Method::get, "/", {{"X-Request-ID", "abc-123"}});
  EXPECT_EQ(*mmx::test::run(p.run(req, h)).find_header("X-Request-ID"), "abc-123");
  auto bad = Request::make(Method::get, "/", {{"X-Request-ID", "evil\"value<script>"}});
  auto id = *mmx::test::run(p.run(bad, h)).find_header("X-Request-ID");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Observe, TraceparentContinuedWithNewSpan) {
  Pipeline p;
  p.use(Stage::observe, request_context_middleware());
  std::string seen_trace, seen_span;
  Handler h = [&](Request& r) -> awaitable<Response> {
    seen_trace = r.trace_id_hex();
    seen_span = r.span_id_hex();
    co_return Response::empty();
  };
  auto req = Request::make(Method::get, "/", {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  mmx::test::run(p.run(req, h));
  EXPECT_EQ(seen_trace, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(seen_span, "00f067aa0ba902b7");
  EXPECT_EQ(seen_span.size(), 16u);
}

TEST(Observe, ErrorsBecomeProblemsAnd500HidesInternals) {
  Pipeline p;
  p.use(Stage::observe, request_context_middleware());
  p.use(Stage::observe, errors_middleware());
  Handler boom = [](Request&) -> awaitable<Response> {
    throw std::runtime_error("db password=hunter2");
    co_return Response{};
  };
  auto req = Request::make(Method::get, "/x");
  auto resp = mmx::test::run(p.run(req, boom));
  EXPECT_EQ(resp.status, 500);
  EXPECT_EQ(resp.content_type, "application/problem+json");
  EXPECT_EQ(resp.body.find("hunter2"), std::string::npos);
  auto body = json::parse(resp.body);
  EXPECT_EQ(body.at("request_id").as_string(), *resp.find_header("X-Request-ID"));

  Handler invalid = [](Request&) -> awaitable<Response> {
    throw mmx::dto::ValidationError(
        std::vector<mmx::dto::FieldError>{{"/name", "is required"}, {"/age", "must be an integer"}});
    co_return Response{};
  };
  auto r2 = mmx::test::run(p.run(req, invalid));
  EXPECT_EQ(r2.status, 422);
  EXPECT_EQ(json::parse(r2.body).at("errors").as_array().size(), 2u);
}

TEST(RequestJson, RequiresJsonContentTypeAndValidates) {
  auto wrong = Request::make(Method::post, "/", {{"Content-Type", "text/plain"}}, "{}");
  try {
    (void)wrong.json<Named>();
    FAIL();
  } catch (const mmx::errors::HttpError& e) {
    EXPECT_EQ(e.status(), 415);
  }
  auto bad = Request::make(Method::post, "/", {{"Content-Type", "application/json"}}, "{\"name\": 5}");
  EXPECT_THROW((void)bad.json<Named>(), mmx::dto::ValidationError);
  auto good = Request::make(Method::post, "/", {{"content-type", "application/merge-patch+json; charset=utf-8"}},
                            "{\"name\": \"ok\"}");
  EXPECT_EQ(good.json<Named>().name, "ok");
}

TEST(Cors, PreflightAndSimpleRequestsForAllowedOriginsOnly) {
  Pipeline p;
  p.use(Stage::cors, cors_middleware({.allowed_origins = {"https://app.example"}}));
  Handler h = ok_handler();
  auto pre = Request::make(Method::options, "/x",
                           {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
  auto r1 = mmx::test::run(p.run(pre, h));
  EXPECT_EQ(r1.status, 204);
  EXPECT_EQ(*r1.find_header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(r1.find_header("Access-Control-Allow-Methods")->find("POST"), std::string::npos);

  auto simple = Request::make(Method::get, "/x", {{"Origin", "https://app.example"}});
  auto r2 = mmx::test::run(p.run(simple, h));
  EXPECT_EQ(r2.body, "ok");
  EXPECT_EQ(*r2.find_header("Vary"), "Origin");

  auto other = Request::make(Method::get, "/x", {{"Origin", "https://evil.example"}});
  auto r3 = mmx::test::run(p.run(other, h));
  EXPECT_EQ(r3.find_header("Access-Control-Allow-Origin"), nullptr);
}

TEST(RequestQuery, DecodedTypedAndBadTypesAre422) {
  auto req = Request::make(Method::get, "/x?limit=20&q=a+b%21&flag=true&limit=99&bad=1x");
  EXPECT_EQ(req.path(), "/x");
  EXPECT_EQ(req.query("q"), "a b!");
  EXPECT_EQ(req.query_as<int>("limit"), 20);  // first occurrence wins
  EXPECT_EQ(req.query_all("limit").size(), 2u);
  EXPECT_EQ(req.query_as<bool>("flag"), true);
  EXPECT_FALSE(req.query_as<int>("missing"));
  try {
    (void)req.query_as<int>("bad");
    FAIL();
  } catch (const mmx::errors::HttpError& e) {
    EXPECT_EQ(e.status(), 422);
    EXPECT_EQ(e.extensions().at("errors").as_array()[0].at("parameter"), "bad");
  }
  EXPECT_FALSE(req.header("missing"));
}
