#include "mmx/http/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "mmx/tracing/span_queue.hpp"
#include "test_support.hpp"

namespace mmx::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using test::run_co;
using test::TestServer;

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Runs `f` and returns the ClientError it throws; fails the test when it throws none.
template <class F>
ClientError expect_client_error(F&& f) {
  try {
    run_co(std::forward<F>(f));
  } catch (const ClientError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ClientError";
  return ClientError(ClientErrorKind::io, "none");
}

// A port nothing listens on: bound once by us, then released.
std::uint16_t dead_port() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto port = a.local_endpoint().port();
  a.close();
  return port;
}

TEST(HttpClient, GetPostAndHeadRoundTrip) {
  TestServer srv;
  srv.router.get("/hello",
                 [](Request&) -> awaitable<Response> { co_return Response::text("hello"); });
  srv.router.post("/echo", [](Request& req) -> awaitable<Response> {
    auto ct = req.header("Content-Type");
    Response r = Response::json(req.body(), 201);
    r.set_header("X-Got-Content-Type", std::string(ct ? *ct : ""));
    co_return r;
  });
  srv.start();

  run_co([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex);
    ClientResponse r = co_await client.get(srv.url("/hello"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    EXPECT_TRUE(r.header("content-type").has_value());
    EXPECT_TRUE(r.header("x-request-id").has_value());  // case-insensitive

    r = co_await client.post_json(srv.url("/echo"), R"({"a":1})");
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.body, R"({"a":1})");
    EXPECT_EQ(r.header("X-Got-Content-Type").value_or(""), "application/json");

    // HEAD carries a Content-Length but no body; the connection must stay usable after it.
    ClientRequest head;
    head.method = Method::head;
    head.url = srv.url("/hello");
    r = co_await client.send(head);
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.body.empty());
    r = co_await client.get(srv.url("/hello?x=1"));
    EXPECT_EQ(r.body, "hello");

    r = co_await client.get(srv.url("/missing"));
    EXPECT_EQ(r.status, 404);  // statuses are responses, not errors
  });
}

TEST(HttpClient, ReusesOneConnectionForSequentialRequests) {
  TestServer srv;
  std::mutex mu;
  std::set<std::string> remotes;
  int calls = 0;
  srv.router.get("/who", [&](Request& req) -> awaitable<Response> {
    std::lock_guard lock(mu);
    remotes.insert(std::string(req.remote_address()));
    ++calls;
    co_return Response::text("ok");
  });
  srv.start();

  std::size_t idle = 0;
  run_co([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex);
    for (int i = 0; i < 5; ++i) {
      auto r = co_await client.get(srv.url("/who"));
      EXPECT_EQ(r.status, 200);
    }
    idle = client.idle_connections();
  });
  std::lock_guard lock(mu);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(remotes.size(), 1u);
  EXPECT_EQ(idle, 1u);

  const std::string host = "127.0.0.1:" + std::to_string(srv.port());
  EXPECT_GE(test::metric_value("http_client_requests_total{host=\"" + host +
                               "\",method=\"GET\",status=\"200\"}"),
            5);
  EXPECT_GE(test::metric_value("http_client_request_duration_seconds_count{host=\"" + host +
                               "\",method=\"GET\"}"),
            5);
}

TEST(HttpClient, OneClientServesCoroutinesOnSeveralThreads) {
  TestServer srv;
  std::atomic<int> calls{0};
  srv.router.get("/n/{i:int}", [&](Request& req) -> awaitable<Response> {
    ++calls;
    co_return Response::text(std::string(req.param("i")));
  });
  srv.start();

  asio::io_context ioc;
  HttpClient client(ioc.get_executor());
  std::atomic<int> ok{0};
  constexpr int kTasks = 20, kEach = 5;
  for (int t = 0; t < kTasks; ++t) {
    asio::co_spawn(
        ioc,
        [&, t]() -> awaitable<void> {
          for (int i = 0; i < kEach; ++i) {
            const std::string n = std::to_string(t * 100 + i);
            auto r = co_await client.get(srv.url("/n/" + n));
            if (r.status == 200 && r.body == n) ++ok;
          }
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  std::thread other([&] { ioc.run(); });
  ioc.run();
  other.join();
  EXPECT_EQ(ok.load(), kTasks * kEach);
  EXPECT_EQ(calls.load(), kTasks * kEach);
  EXPECT_GE(client.idle_connections(), 1u);
  EXPECT_LE(client.idle_connections(), client.options().max_idle_per_host);
}

TEST(HttpClient, PropagatesTraceparentAndRequestIdAndRecordsClientSpan) {
  TestServer srv;
  std::mutex mu;
  std::string got_traceparent, got_request_id;
  srv.router.get("/downstream", [&](Request& req) -> awaitable<Response> {
    std::lock_guard lock(mu);
    got_traceparent = std::string(req.header("traceparent").value_or(""));
    got_request_id = std::string(req.header("X-Request-ID").value_or(""));
    co_return Response::text("ok");
  });
  srv.start();

  auto& queue = tracing::default_span_queue();
  queue.drain(std::numeric_limits<std::size_t>::max());
  queue.set_enabled(true);

  auto parent_ctx = tracing::TraceContext::new_root();
  Request parent = Request::make(Method::get, "/incoming");
  parent.set_trace(parent_ctx);
  parent.set_request_id("req-42");

  run_co([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex);
    auto r = co_await client.get(srv.url("/downstream"), &parent);
    EXPECT_EQ(r.status, 200);
  });
  queue.set_enabled(false);

  std::lock_guard lock(mu);
  EXPECT_EQ(got_request_id, "req-42");
  auto sent = tracing::TraceContext::parse(got_traceparent);
  ASSERT_TRUE(sent.has_value()) << got_traceparent;
  EXPECT_EQ(sent->trace_id, parent_ctx.trace_id);
  EXPECT_NE(sent->span_id, parent_ctx.span_id);  // a child span, not the parent's

  // The server middleware records its own span too; pick ours.
  auto spans = queue.drain(std::numeric_limits<std::size_t>::max());
  const tracing::Span* client_span = nullptr;
  for (const auto& s : spans) {
    if (s.kind == tracing::SpanKind::client) client_span = &s;
  }
  ASSERT_NE(client_span, nullptr);
  EXPECT_EQ(client_span->name, "HTTP GET");
  EXPECT_TRUE(client_span->has_parent);
  EXPECT_EQ(client_span->parent_span_id, parent_ctx.span_id);
  EXPECT_EQ(client_span->context.span_id, sent->span_id);
  auto str_attr = [&](std::string_view k) {
    for (const auto& [key, v] : client_span->string_attributes) {
      if (key == k) return v;
    }
    return std::string();
  };
  EXPECT_EQ(str_attr("http.request.method"), "GET");
  EXPECT_EQ(str_attr("url.full"), srv.url("/downstream"));
  EXPECT_EQ(str_attr("server.address"), "127.0.0.1");
  bool has_status = false;
  for (const auto& [k, v] : client_span->int_attributes) {
    if (k == "http.response.status_code") has_status = v == 200;
  }
  EXPECT_TRUE(has_status);
}

TEST(HttpClient, RetriesIdempotentGetAfter503) {
  TestServer srv;
  std::atomic<int> calls{0};
  srv.router.get("/flaky", [&](Request&) -> awaitable<Response> {
    if (calls.fetch_add(1) == 0) {
      Response r = Response::text("busy", "text/plain", 503);
      r.set_header("Retry-After", "0");
      co_return r;
    }
    co_return Response::text("ok");
  });
  srv.start();

  run_co([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex);
    auto r = co_await client.get(srv.url("/flaky"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ok");
  });
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpClient, DoesNotRetryPostOn503) {
  TestServer srv;
  std::atomic<int> calls{0};
  srv.router.post("/busy", [&](Request&) -> awaitable<Response> {
    ++calls;
    co_return Response::text("busy", "text/plain", 503);
  });
  srv.start();

  run_co([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex);
    auto r = co_await client.post_json(srv.url("/busy"), "{}");
    EXPECT_EQ(r.status, 503);
  });
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpClient, StopsRetryingAtMaxAttemptsOrLongRetryAfter) {
  TestServer srv;
  std::atomic<int> always{0}, long_wait{0};
  srv.router.get("/down", [&](Request&) -> awaitable<Response> {
    ++always;
    co_return Response::text("down", "text/plain", 502);
  });
  srv.router.get("/later", [&](Request&) -> awaitable<Response> {
    ++long_wait;
    Response r = Response::text("later", "text/plain", 503);
    r.set_header("Retry-After", "120");
    co_return r;
  });
  srv.start();

  run_co([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex);
    auto r = co_await client.get(srv.url("/down"));
    EXPECT_EQ(r.status, 502);
    auto start = std::chrono::steady_clock::now();
    r = co_await client.get(srv.url("/later"));
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("Retry-After").value_or(""), "120");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  });
  EXPECT_EQ(always.load(), 3);
  EXPECT_EQ(long_wait.load(), 1);
}

TEST(HttpClient, TimesOutAgainstSlowHandlerAndRetriesTheGet) {
  TestServer srv;
  std::atomic<int> calls{0};
  srv.router.get("/slow", [&](Request&) -> awaitable<Response> {
    ++calls;
    asio::steady_timer t(co_await asio::this_coro::executor, 3s);
    co_await t.async_wait(asio::use_awaitable);
    co_return Response::text("late");
  });
  srv.start();

  ClientOptions o;
  o.request_timeout = 200ms;
  o.max_attempts = 2;
  auto start = std::chrono::steady_clock::now();
  ClientError e = expect_client_error([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex, o);
    co_await client.get(srv.url("/slow"));
  });
  EXPECT_EQ(e.kind(), ClientErrorKind::timeout);
  EXPECT_TRUE(contains(e.what(), "timed out")) << e.what();
  EXPECT_TRUE(contains(e.what(), srv.url("/slow"))) << e.what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(test::wait_for([&] { return calls.load() == 2; }));
}

TEST(HttpClient, ConnectRefused) {
  const std::string url = "http://127.0.0.1:" + std::to_string(dead_port()) + "/x";
  ClientError e = expect_client_error([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex);
    co_await client.get(url);
  });
  EXPECT_EQ(e.kind(), ClientErrorKind::connect);
  EXPECT_TRUE(contains(e.what(), url)) << e.what();
  EXPECT_TRUE(contains(e.what(), "refused")) << e.what();
}

TEST(HttpClient, ResponseBodyOverLimit) {
  TestServer srv;
  srv.router.get("/big", [](Request&) -> awaitable<Response> {
    co_return Response::text(std::string(64 * 1024, 'x'));
  });
  srv.start();

  ClientOptions o;
  o.max_response_body = 1024;
  ClientError e = expect_client_error([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex, o);
    co_await client.get(srv.url("/big"));
  });
  EXPECT_EQ(e.kind(), ClientErrorKind::too_large);
  EXPECT_TRUE(contains(e.what(), "too large")) << e.what();
}

TEST(HttpClient, RejectsBadUrls) {
  for (std::string url : {"https://127.0.0.1:8443/x", "ftp://127.0.0.1/x", "127.0.0.1/x", "http://",
                          "http://127.0.0.1:99999/", "http://127.0.0.1:abc/",
                          "http://user:pw@127.0.0.1/", "http://127.0.0.1/a b"}) {
    ClientError e = expect_client_error([&](asio::any_io_executor ex) -> awaitable<void> {
      HttpClient client(ex);
      co_await client.get(url);
    });
    EXPECT_EQ(e.kind(), ClientErrorKind::invalid_request) << url;
    EXPECT_TRUE(contains(e.what(), url)) << e.what();
    if (url.starts_with("https")) {
      EXPECT_TRUE(contains(e.what(), "https is not supported")) << e.what();
    }
  }
  ClientError e = expect_client_error([&](asio::any_io_executor ex) -> awaitable<void> {
    HttpClient client(ex);
    ClientRequest req;
    req.url = "http://127.0.0.1/";
    req.headers = {{"X-Evil", "a\r\nInjected: 1"}};
    co_await client.send(req);
  });
  EXPECT_EQ(e.kind(), ClientErrorKind::invalid_request);
}

// A keep-alive peer that drops the connection when the second request arrives (as a
// server closing an idle connection does): the GET goes again on a fresh connection, even
// with a single attempt allowed.
awaitable<void> dropping_server(tcp::acceptor& acceptor, int& accepted) {
  static constexpr std::string_view kOk1 = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
  static constexpr std::string_view kOk2 = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo";
  {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    ++accepted;
    std::string buf;
    std::size_t n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n",
                                                    asio::use_awaitable);
    buf.erase(0, n);
    co_await asio::async_write(s, asio::buffer(kOk1), asio::use_awaitable);
    co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
    s.close();
  }
  tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
  ++accepted;
  std::string buf;
  co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
  co_await asio::async_write(s, asio::buffer(kOk2), asio::use_awaitable);
}

TEST(HttpClient, StalePooledConnectionIsRetriedOnAFreshOne) {
  int accepted = 0;
  run_co([&](asio::any_io_executor ex) -> awaitable<void> {
    tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const std::string url =
        "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
    asio::co_spawn(ex, dropping_server(acceptor, accepted), asio::detached);
    ClientOptions o;
    o.max_attempts = 1;
    HttpClient client(ex, o);
    auto r = co_await client.get(url);
    EXPECT_EQ(r.body, "one");
    r = co_await client.get(url);
    EXPECT_EQ(r.body, "two");
  });
  EXPECT_EQ(accepted, 2);
}

TEST(HttpClient, CancellationAbortsTheRequest) {
  TestServer srv;
  srv.router.get("/slow", [](Request&) -> awaitable<Response> {
    asio::steady_timer t(co_await asio::this_coro::executor, 3s);
    co_await t.async_wait(asio::use_awaitable);
    co_return Response::text("late");
  });
  srv.start();

  asio::io_context ioc;
  HttpClient client(ioc.get_executor());
  asio::cancellation_signal sig;
  std::exception_ptr result;
  bool done = false;
  asio::co_spawn(
      ioc, client.get(srv.url("/slow")),
      asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e, ClientResponse) {
        result = e;
        done = true;
      }));
  asio::steady_timer t(ioc, 100ms);
  t.async_wait([&](boost::system::error_code) { sig.emit(asio::cancellation_type::terminal); });
  auto start = std::chrono::steady_clock::now();
  ioc.run();
  EXPECT_TRUE(done);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ASSERT_TRUE(result);
  try {
    std::rethrow_exception(result);
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), asio::error::operation_aborted);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception: " << e.what();
  }
}

}  // namespace
}  // namespace mmx::http
