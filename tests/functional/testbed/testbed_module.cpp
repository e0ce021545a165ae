// The functional tests' module: one route per kit behaviour they need to provoke.
#include "testbed_module.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <thread>

#include "mmx/errors/http_error.hpp"
#include "mmx/exec/offload.hpp"
#include "mmx/http/client.hpp"

namespace mmx::testbed {

struct Line {
  std::int64_t product_id;
  int quantity;
};
BOOST_DESCRIBE_STRUCT(Line, (), (product_id, quantity))
MMX_DTO_CONSTRAINTS(Line, (product_id, range(1, 1'000'000'000)), (quantity, range(1, 100)))

struct CreateItem {
  std::string name;
  std::int64_t price_cents;
  std::optional<std::string> note;
  std::string kind;
  std::vector<Line> lines;
};
BOOST_DESCRIBE_STRUCT(CreateItem, (), (name, price_cents, note, kind, lines))
MMX_DTO_CONSTRAINTS(CreateItem, (name, length(1, 40), description("Display name")),
                    (price_cents, range(0, 1'000'000)), (kind, one_of({"book", "game"})),
                    (lines, items(1, 10)))

struct Item {
  std::int64_t id;
  std::string name;
  std::int64_t price_cents;
  std::string kind;
  std::size_t lines;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, name, price_cents, kind, lines))

struct Echo {
  std::string request_id;
  std::string trace_id;
  std::string span_id;
  std::optional<std::string> incoming_traceparent;
};
BOOST_DESCRIBE_STRUCT(Echo, (), (request_id, trace_id, span_id, incoming_traceparent))

namespace {

http::awaitable<void> sleep_ms(std::int64_t ms) {
  auto ex = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer t(ex, std::chrono::milliseconds(ms));
  co_await t.async_wait(boost::asio::use_awaitable);
}

}  // namespace

module::Module make_testbed_module() {
  module::Module m;
  m.name = "testbed";
  m.description = "Test-only module of the functional tests (not in the micromax binary).";
  m.docs_path = "/docs#/testbed";
  m.declare_settings = [](config::SettingRegistry& r) {
    config::Setting s;
    s.name = "MMX_TESTBED_UNREADY_FILE";
    s.kind = config::Kind::path;
    s.help = "While this file exists, the testbed readiness check fails.";
    s.group = "testbed";
    r.add(s);
  };
  m.init = [](module::Context& ctx) {
    auto& r = ctx.router;
    r.post("/test/items", [](http::Request& req) -> http::awaitable<http::Response> {
       auto in = req.json<CreateItem>();
       Item out{42, in.name, in.price_cents, in.kind, in.lines.size()};
       http::Response resp = http::Response::of(out, 201);
       resp.set_header("Location", "/test/items/42");
       co_return resp;
     })
        .summary("Create an item (validation showcase)")
        .body<CreateItem>()
        .returns<Item>(201, "Created");

    r.get("/test/items/{id:int}", [](http::Request& req) -> http::awaitable<http::Response> {
       auto id = req.param_int("id");
       if (id != 42) throw errors::not_found("Item " + std::to_string(id) + " does not exist.");
       co_return http::Response::of(Item{42, "answer", 4200, "book", 1});
     })
        .summary("Get an item")
        .returns<Item>(200, "The item")
        .returns(404, "No such item");

    r.get("/test/slow", [](http::Request& req) -> http::awaitable<http::Response> {
       auto ms = req.query_as<std::int64_t>("ms").value_or(1000);
       co_await sleep_ms(ms);
       co_return http::Response::json(boost::json::object{{"slept_ms", ms}});
     })
        .summary("Answer after a delay")
        .query("ms", http::ParamType::integer, "Delay in milliseconds");

    exec::WorkerPool* pool = &ctx.workers;
    r.get("/test/offload", [pool](http::Request& req) -> http::awaitable<http::Response> {
       auto ms = req.query_as<std::int64_t>("ms").value_or(10);
       auto tid = co_await exec::offload(*pool, [ms] {
         std::this_thread::sleep_for(std::chrono::milliseconds(ms));
         return std::hash<std::thread::id>{}(std::this_thread::get_id());
       });
       co_return http::Response::json(boost::json::object{{"worker", std::to_string(tid)}});
     })
        .summary("Run blocking work on the worker pool")
        .query("ms", http::ParamType::integer, "How long the blocking work takes");

    r.get("/test/boom", [](http::Request&) -> http::awaitable<http::Response> {
       throw std::runtime_error("secret internal detail: password=hunter2");
       co_return http::Response{};
     })
        .summary("Fail with an unexpected exception");

    r.get("/test/echo", [](http::Request& req) -> http::awaitable<http::Response> {
       Echo e{req.request_id(), req.trace_id_hex(), req.span_id_hex(), std::nullopt};
       if (auto tp = req.header("traceparent")) e.incoming_traceparent = std::string(*tp);
       co_return http::Response::of(e);
     })
        .summary("Echo the request context")
        .returns<Echo>(200, "Context");

    // Calls another URL through the kit's client, propagating this request's context.
    r.get("/test/call", [](http::Request& req) -> http::awaitable<http::Response> {
       auto url = req.query("url");
       if (!url) throw errors::bad_request("url is required");
       // Kept out of the constructor's argument list: GCC 12 mishandles co_await there.
       auto ex = co_await boost::asio::this_coro::executor;
       http::HttpClient c(ex);
       auto resp = co_await c.get(*url, &req);
       co_return http::Response::json(resp.body, resp.status);
     })
        .summary("Call a URL with the kit's HTTP client")
        .query("url", http::ParamType::string, "URL to GET", true);

    std::string unready = ctx.config.string("MMX_TESTBED_UNREADY_FILE");
    ctx.health.add("testbed", [unready]() -> http::awaitable<health::CheckResult> {
      if (!unready.empty() && std::filesystem::exists(unready)) {
        co_return health::CheckResult{false, "unready file " + unready + " exists"};
      }
      co_return health::CheckResult{true, ""};
    });
  };
  return m;
}

}  // namespace mmx::testbed
