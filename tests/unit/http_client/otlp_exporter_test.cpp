#include "mmx/http/otlp_exporter.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <limits>
#include <mutex>
#include <set>
#include <vector>

#include "mmx/tracing/span_queue.hpp"
#include "test_support.hpp"

namespace mmx::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::TestServer;

constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

tracing::Span make_span(std::string name) {
  tracing::Span s;
  s.context = tracing::TraceContext::new_root();
  s.name = std::move(name);
  s.start_unix_nanos = tracing::unix_nanos_now();
  s.end_unix_nanos = s.start_unix_nanos + 1000;
  return s;
}

// A collector that keeps what it is sent.
struct Collector {
  Collector() {
    srv.router.post("/v1/traces", [this](Request& req) -> awaitable<Response> {
      std::lock_guard lock(mu);
      bodies.push_back(req.body());
      content_types.emplace_back(req.header("Content-Type").value_or(""));
      co_return Response::json(std::string("{}"));
    });
    srv.start();
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return bodies.size();
  }
  // Span names across every body received; each body must be valid OTLP JSON.
  std::set<std::string> span_names() {
    std::lock_guard lock(mu);
    std::set<std::string> names;
    for (const auto& b : bodies) {
      auto doc = boost::json::parse(b);
      for (const auto& rs : doc.at("resourceSpans").as_array()) {
        for (const auto& ss : rs.at("scopeSpans").as_array()) {
          for (const auto& sp : ss.at("spans").as_array()) {
            names.insert(std::string(sp.at("name").as_string()));
          }
        }
      }
    }
    return names;
  }

  TestServer srv;
  std::mutex mu;
  std::vector<std::string> bodies, content_types;
};

// Runs the exporter on `ioc` with a watcher coroutine that polls `until` (every 10 ms, up
// to 10 s) and then cancels the exporter. Returns whether the exporter finished.
template <class Until>
bool run_exporter_until(OtlpExporterOptions opts, Until until, bool& condition_met,
                        bool& running_when_met) {
  asio::io_context ioc;
  asio::cancellation_signal sig;
  bool done = false;
  asio::co_spawn(ioc, run_otlp_exporter(std::move(opts)),
                 asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e) {
                   EXPECT_FALSE(e) << "the exporter must end normally when cancelled";
                   done = true;
                 }));
  asio::co_spawn(
      ioc,
      [&]() -> awaitable<void> {
        asio::steady_timer t(ioc);
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!(condition_met = until()) && std::chrono::steady_clock::now() < deadline) {
          t.expires_after(10ms);
          co_await t.async_wait(asio::use_awaitable);
        }
        running_when_met = !done;
        sig.emit(asio::cancellation_type::terminal);
      },
      asio::detached);
  ioc.run();
  return done;
}

class OtlpExporterTest : public ::testing::Test {
 protected:
  void SetUp() override { tracing::default_span_queue().drain(kAll); }
  void TearDown() override {
    tracing::default_span_queue().set_enabled(false);
    tracing::default_span_queue().drain(kAll);
  }
};

TEST_F(OtlpExporterTest, ExportsQueuedSpansToTheCollector) {
  Collector collector;
  auto& queue = tracing::default_span_queue();
  queue.set_enabled(true);
  for (auto name : {"span-a", "span-b", "span-c"}) ASSERT_TRUE(queue.offer(make_span(name)));
  const double exported_before = test::metric_value("otlp_spans_exported_total");

  OtlpExporterOptions opts;
  opts.endpoint = "http://127.0.0.1:" + std::to_string(collector.srv.port()) + "/";
  opts.service_name = "test-svc";
  opts.service_version = "1.2.3";
  opts.interval = 50ms;
  bool met = false, running = false;
  bool done = run_exporter_until(
      opts,
      [&] {
        auto names = collector.span_names();
        return names.count("span-a") && names.count("span-b") && names.count("span-c");
      },
      met, running);
  EXPECT_TRUE(met);
  EXPECT_TRUE(running);
  EXPECT_TRUE(done);
  {
    std::lock_guard lock(collector.mu);
    ASSERT_FALSE(collector.bodies.empty());
    EXPECT_EQ(collector.content_types.front(), "application/json");
    auto doc = boost::json::parse(collector.bodies.front());
    auto attrs = doc.at("resourceSpans").at(0).at("resource").at("attributes");
    EXPECT_NE(boost::json::serialize(attrs).find("test-svc"), std::string::npos);
  }
  // The exporter's own POSTs make no client spans (each would be exported in turn); the
  // collector's server span, recorded by this process's middleware, may well be there.
  EXPECT_EQ(collector.span_names().count("HTTP POST"), 0u);
  EXPECT_GE(test::metric_value("otlp_spans_exported_total") - exported_before, 3);
}

TEST_F(OtlpExporterTest, FlushesWhatIsLeftWhenCancelled) {
  Collector collector;
  auto& queue = tracing::default_span_queue();
  queue.set_enabled(true);
  ASSERT_TRUE(queue.offer(make_span("last-words")));

  OtlpExporterOptions opts;
  opts.endpoint = "http://127.0.0.1:" + std::to_string(collector.srv.port());
  opts.service_name = "test-svc";
  opts.interval = 60s;  // only the final flush can send it
  bool met = false, running = false;
  bool done = run_exporter_until(
      opts, [] { return true; }, met, running);
  EXPECT_TRUE(done);
  EXPECT_EQ(collector.span_names(), std::set<std::string>{"last-words"});
  EXPECT_FALSE(queue.enabled());  // nobody exports any more
}

TEST_F(OtlpExporterTest, DeadCollectorCountsFailuresAndQueueOverflowCountsDrops) {
  auto& queue = tracing::default_span_queue();
  queue.set_enabled(true);
  const double failures_before = test::metric_value("otlp_export_failures_total");
  const double exported_before = test::metric_value("otlp_spans_exported_total");
  const std::uint64_t dropped_before = queue.dropped();
  // More than the queue holds: the excess is dropped and counted, never blocking.
  std::size_t accepted = 0;
  for (int i = 0; i < 8192 + 100; ++i) accepted += queue.offer(make_span("s")) ? 1 : 0;
  EXPECT_LE(accepted, 8192u);
  EXPECT_GE(queue.dropped() - dropped_before, 100u);

  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  OtlpExporterOptions opts;
  opts.endpoint = "http://127.0.0.1:" + std::to_string(port);
  opts.service_name = "test-svc";
  opts.interval = 20ms;
  bool met = false, running = false;
  bool done = run_exporter_until(
      opts, [&] { return test::metric_value("otlp_export_failures_total") >= failures_before + 3; },
      met, running);
  EXPECT_TRUE(met);
  EXPECT_TRUE(running) << "the exporter must keep going after failed exports";
  EXPECT_TRUE(done);
  EXPECT_EQ(test::metric_value("otlp_spans_exported_total"), exported_before);
  EXPECT_GE(test::metric_value("otlp_spans_dropped_total{reason=\"queue_full\"}"),
            static_cast<double>(dropped_before + 100));
  EXPECT_GE(test::metric_value("otlp_spans_dropped_total{reason=\"export_failed\"}"), 3 * 512);
}

}  // namespace
}  // namespace mmx::http
