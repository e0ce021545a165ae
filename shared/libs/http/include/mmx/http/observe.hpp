#pragma once
// The kit's own middleware, all in Stage::observe, in this order: request context (request
// id + trace context + server span), access log, metrics, errors. Errors sits innermost so
// the log line and the metrics see the status the client really gets.
#include <memory>
#include <string>

#include "mmx/http/middleware.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::http {

// Keeps a sane incoming X-Request-ID or makes one; continues an incoming `traceparent` or
// starts a trace; records a server span when an exporter is configured.
std::shared_ptr<Middleware> request_context_middleware();

// One line per request at info: method, path, route, status, duration, bytes, remote.
std::shared_ptr<Middleware> access_log_middleware();

// http_requests_total{route,method,status}, http_request_duration_seconds{route,method},
// http_requests_in_flight.
std::shared_ptr<Middleware> metrics_middleware(metrics::Registry& registry);

// Turns every exception into a problem+json response; 500s are logged with the exception
// and the request id, and the client sees neither the exception nor anything internal.
std::shared_ptr<Middleware> errors_middleware();

struct CorsOptions {
  std::vector<std::string> allowed_origins;  // exact origins, or "*"
  std::string allowed_headers = "Authorization, Content-Type, X-Request-ID, If-Match, If-None-Match, Idempotency-Key";
  std::string exposed_headers = "X-Request-ID, ETag, Location, Retry-After";
  int max_age_seconds = 600;
  bool allow_credentials = false;
};
// Answers preflight requests and adds Access-Control-* headers for allowed origins.
// With no allowed origins it does nothing (same-origin only).
std::shared_ptr<Middleware> cors_middleware(CorsOptions options);

// The span/log name of a request: its route template, or "unmatched" so that scanners
// probing random paths cannot blow up metric cardinality.
std::string_view route_label(const Request& req);

}  // namespace mmx::http
