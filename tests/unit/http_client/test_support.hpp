#pragma once
// A real server on loopback and a way to run a client coroutine to completion.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "mmx/http/middleware.hpp"
#include "mmx/http/observe.hpp"
#include "mmx/http/router.hpp"
#include "mmx/http/server.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::http::test {

class TestServer {
 public:
  TestServer() {
    pipeline.use(Stage::observe, request_context_middleware());
    pipeline.use(Stage::observe, errors_middleware());
  }
  ~TestServer() {
    if (server_) server_->stop();
  }

  // Call after the routes are added.
  void start() {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    server_ = std::make_unique<Server>(o, router, pipeline);
    server_->start();
  }
  std::uint16_t port() const { return server_->port(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }

  Router router;
  Pipeline pipeline;

 private:
  std::unique_ptr<Server> server_;
};

// Runs f(executor) on a fresh io_context until everything on it is done; rethrows what the
// coroutine threw and returns what it returned.
template <class F>
auto run_co(F&& f) {
  boost::asio::io_context ioc;
  auto fut = boost::asio::co_spawn(ioc, f(ioc.get_executor()), boost::asio::use_future);
  ioc.run();
  return fut.get();
}

// The value of one exposition line ("name{labels} value") of the default registry, 0 when
// the series does not exist yet.
inline double metric_value(std::string_view series) {
  std::string text = "\n" + metrics::default_registry().render();
  std::string needle = "\n" + std::string(series) + " ";
  auto pos = text.find(needle);
  if (pos == std::string::npos) return 0;
  return std::stod(text.substr(pos + needle.size()));
}

// Polls `cond` until it holds or `timeout` passes: conditions, not fixed sleeps.
template <class Cond>
bool wait_for(Cond cond, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace mmx::http::test
