#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include "mmx/metrics/metrics.hpp"

using namespace mmx::metrics;

TEST(Metrics, CounterGaugeHistogramRenderInPrometheusFormat) {
  Registry r;
  auto& c = r.counter("reqs_total", "Requests.", {"route", "status"});
  c.with({"/a", "200"}).inc();
  c.with({"/a", "200"}).inc(2);
  c.with({"/b\"x", "500"}).inc();
  r.gauge("temp", "Temperature.").with({}).set(-3.5);
  auto& h = r.histogram("lat_seconds", "Latency.", {"route"}, {0.1, 1.0});
  h.with({"/a"}).observe(0.05);
  h.with({"/a"}).observe(0.5);
  h.with({"/a"}).observe(5);
  std::string out = r.render();
  EXPECT_NE(out.find("# HELP reqs_total Requests.\n# TYPE reqs_total counter\n"), std::string::npos);
  EXPECT_NE(out.find("reqs_total{route=\"/a\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(out.find("reqs_total{route=\"/b\\\"x\",status=\"500\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("temp -3.5\n"), std::string::npos);
  EXPECT_NE(out.find("lat_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("lat_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find("lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(out.find("lat_seconds_sum{route=\"/a\"} 5.55\n"), std::string::npos);
  EXPECT_NE(out.find("lat_seconds_count{route=\"/a\"} 3\n"), std::string::npos);
}

TEST(Metrics, WrongLabelCountAndTypeClashThrow) {
  Registry r;
  auto& c = r.counter("x_total", "x", {"a"});
  EXPECT_THROW(c.with({"1", "2"}), std::logic_error);
  EXPECT_THROW(r.gauge("x_total", "x"), std::logic_error);
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& fam = r.counter("n_total", "n", {"k"});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) fam.with({t % 2 ? "odd" : "even"}).inc();
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(fam.with({"odd"}).value() + fam.with({"even"}).value(), 40000);
}

TEST(Metrics, ProcessCollectorReportsRealValues) {
  Registry r;
  register_process_metrics(r);
  // CPU time is counted in clock ticks (10 ms): burn a few so it cannot read 0.
  volatile std::uint64_t sink = 0;
  auto until = std::clock() + CLOCKS_PER_SEC / 20;
  while (std::clock() < until) sink = sink + 1;
  std::string out = r.render();
  for (auto name : {"process_resident_memory_bytes ", "process_cpu_seconds_total ",
                    "process_open_fds ", "process_start_time_seconds "}) {
    auto pos = out.find(std::string("\n") + name);
    ASSERT_NE(pos, std::string::npos) << name;
    double v = std::stod(out.substr(pos + 1 + std::string(name).size()));
    EXPECT_GT(v, 0) << name;
  }
}
