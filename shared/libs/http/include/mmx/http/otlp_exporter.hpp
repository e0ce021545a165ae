#pragma once
// OTLP/HTTP (JSON) export of the spans the server and client record into
// tracing::default_span_queue().
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <string>

namespace mmx::http {

struct OtlpExporterOptions {
  std::string endpoint;  // collector base URL, e.g. http://otel-collector:4318
  std::string service_name;
  std::string service_version;
  std::chrono::milliseconds interval{1000};
  std::size_t batch_size = 512;
};

// Background task: every `interval` (or sooner when `batch_size` spans are queued) drains the
// span queue and POSTs tracing::to_otlp_json(...) to `endpoint` + "/v1/traces". It never
// blocks a request: producers only append to the bounded queue, which drops (and counts)
// when full. A failed export is logged (at most one warning per 30 s) and counted, and its
// batch is dropped. Enables the span queue when it starts. Runs until cancelled (asio
// per-operation cancellation, e.g. co_spawn with bind_cancellation_slot), then makes one
// last best-effort flush bounded by 1 s and returns normally.
//
// Metrics: otlp_spans_exported_total, otlp_export_failures_total, and
// otlp_spans_dropped_total{reason="queue_full"|"export_failed"}.
boost::asio::awaitable<void> run_otlp_exporter(OtlpExporterOptions opts);

}  // namespace mmx::http
