#include "mmx/http/otlp_exporter.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <iterator>
#include <limits>
#include <mutex>
#include <vector>

#include "mmx/http/client.hpp"
#include "mmx/log/log.hpp"
#include "mmx/metrics/metrics.hpp"
#include "mmx/tracing/otlp_json.hpp"
#include "mmx/tracing/span_queue.hpp"

namespace mmx::http {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kWarningEvery = 30s;
constexpr auto kMaxTick = 100ms;

// Spans whose export failed; the queue counts its own overflow.
std::atomic<std::uint64_t> g_export_dropped{0};

struct ExporterMetrics {
  metrics::Counter& exported;
  metrics::Counter& failures;
};

ExporterMetrics& exporter_metrics() {
  static ExporterMetrics m = [] {
    auto& r = metrics::default_registry();
    // Read when scraped rather than counted here: the queue drops on producer threads.
    r.add_collector([](std::string& out) {
      constexpr std::string_view name = "otlp_spans_dropped_total";
      metrics::append_header(out, name,
                             "Spans that never reached the collector: the queue was full, or "
                             "their export failed.",
                             metrics::Type::counter);
      metrics::append_sample(out, name, "reason=\"queue_full\"",
                             static_cast<double>(tracing::default_span_queue().dropped()));
      metrics::append_sample(out, name, "reason=\"export_failed\"",
                             static_cast<double>(g_export_dropped.load()));
    });
    return ExporterMetrics{
        r.counter("otlp_spans_exported_total", "Spans accepted by the OTLP collector.").with({}),
        r.counter("otlp_export_failures_total",
                  "OTLP export requests that failed (their spans are dropped).")
            .with({})};
  }();
  return m;
}

class Exporter {
 public:
  Exporter(const OtlpExporterOptions& opts, std::string url, ExporterMetrics& m)
      : opts_(opts), url_(std::move(url)), m_(m) {}

  // False when the batch could not be delivered (it is dropped). `spans` is emptied, except
  // when the export is cancelled midway: then they are kept for the final flush, since the
  // collector may or may not have got them and a duplicate beats a gap in a trace.
  asio::awaitable<bool> export_batch(HttpClient& client, std::vector<tracing::Span>& spans) {
    const std::size_t n = spans.size();
    ClientRequest req;
    req.method = Method::post;
    req.url = url_;
    req.content_type = "application/json";
    req.body = tracing::to_otlp_json(spans, opts_.service_name, opts_.service_version);
    std::string error;
    try {
      ClientResponse resp = co_await client.send(std::move(req));
      spans.clear();
      if (resp.status >= 200 && resp.status < 300) {
        m_.exported.inc(static_cast<double>(n));
        co_return true;
      }
      error =
          "the collector answered " + std::to_string(resp.status) + ": " + resp.body.substr(0, 200);
    } catch (const ClientError& e) {
      spans.clear();
      error = e.what();
    }
    failed(n, error);
    co_return false;
  }

 private:
  void failed(std::size_t n, const std::string& error) {
    m_.failures.inc();
    g_export_dropped.fetch_add(n, std::memory_order_relaxed);
    ++failures_since_warning_;
    // A dead collector fails every interval; one line per 30 s says so without flooding.
    const auto now = Clock::now();
    if (warned_ && now - last_warning_ < kWarningEvery) return;
    log::warn("tracing", "OTLP export failed; spans dropped",
              {{"endpoint", url_},
               {"error", error},
               {"spans", n},
               {"failures_since_last_warning", failures_since_warning_}});
    warned_ = true;
    last_warning_ = now;
    failures_since_warning_ = 0;
  }

  const OtlpExporterOptions& opts_;
  std::string url_;
  ExporterMetrics& m_;
  bool warned_ = false;
  Clock::time_point last_warning_{};
  std::uint64_t failures_since_warning_ = 0;
};

}  // namespace

asio::awaitable<void> run_otlp_exporter(OtlpExporterOptions opts) {
  auto ex = co_await asio::this_coro::executor;
  auto& queue = tracing::default_span_queue();
  ExporterMetrics& m = exporter_metrics();
  if (opts.batch_size == 0) opts.batch_size = 512;
  if (opts.interval <= 0ms) opts.interval = 1000ms;
  std::string base = opts.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + "/v1/traces";
  Exporter exporter(opts, url, m);

  ClientOptions copts;
  copts.connect_timeout = 1s;
  copts.request_timeout = 5s;
  copts.max_attempts = 1;  // a failed batch is dropped; the next one is on its way anyway
  copts.max_idle_per_host = 1;
  copts.record_spans = false;
  HttpClient client(ex, copts);

  queue.set_enabled(true);
  log::info("tracing", "OTLP exporter started", {{"endpoint", url}});

  // Polling the queue depth costs one uncontended lock per tick and spares every producer a
  // wake-up call on the request path.
  const auto tick = std::min<std::chrono::milliseconds>(opts.interval, kMaxTick);
  asio::steady_timer timer(ex);
  auto next_export = Clock::now() + opts.interval;
  std::vector<tracing::Span> batch;
  try {
    for (;;) {
      timer.expires_after(tick);
      co_await timer.async_wait(asio::use_awaitable);
      const auto now = Clock::now();
      if (now < next_export && queue.size() < opts.batch_size) continue;
      next_export = now + opts.interval;
      // Full batches go out back to back; after a failure the rest waits for the next
      // interval so that a dead collector is not hammered.
      for (;;) {
        batch = queue.drain(opts.batch_size);
        if (batch.empty()) break;
        const bool full = batch.size() == opts.batch_size;
        if (!co_await exporter.export_batch(client, batch) || !full) break;
      }
    }
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted) throw;
  }

  // Cancelled: one last flush. The cancellation is reset so that the flush's own I/O can run;
  // a second cancellation still aborts it. Nobody exports from now on, so producers can stop
  // building spans.
  co_await asio::this_coro::reset_cancellation_state();
  queue.set_enabled(false);
  auto rest = queue.drain(std::numeric_limits<std::size_t>::max());
  batch.insert(batch.end(), std::make_move_iterator(rest.begin()),
               std::make_move_iterator(rest.end()));
  if (!batch.empty()) {
    ClientOptions last = copts;
    last.connect_timeout = 300ms;  // connect + request: the 1 s shutdown budget
    last.request_timeout = 700ms;
    HttpClient flush_client(ex, last);
    try {
      co_await exporter.export_batch(flush_client, batch);
    } catch (const boost::system::system_error&) {
      g_export_dropped.fetch_add(batch.size(), std::memory_order_relaxed);  // cancelled again
    }
  }
  log::info("tracing", "OTLP exporter stopped");
}

}  // namespace mmx::http
