#include "mmx/http/observe.hpp"

#include <atomic>
#include <chrono>
#include <unordered_map>

#include "mmx/errors/problem.hpp"
#include "mmx/http/route.hpp"
#include "mmx/log/log.hpp"
#include "mmx/tracing/span_queue.hpp"

namespace mmx::http {
namespace {

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

class RequestContext final : public Middleware {
 public:
  awaitable<Response> handle(Request& req, Next next) override {
    std::optional<tracing::TraceContext> parent;
    if (auto tp = req.header("traceparent")) parent = tracing::TraceContext::parse(*tp);
    req.set_trace(parent ? parent->child() : tracing::TraceContext::new_root());
    // Without a client-chosen id, the trace id is the request id: as random, one fewer id
    // to generate, and a log search for either finds the request.
    auto incoming = req.header("X-Request-ID");
    req.set_request_id(incoming && valid_request_id(*incoming) ? std::string(*incoming)
                                                               : req.trace_id_hex());

    auto& queue = tracing::default_span_queue();
    const bool record = queue.enabled() && req.trace().sampled();
    const std::uint64_t start = record ? tracing::unix_nanos_now() : 0;

    Response resp = co_await next(req);
    resp.set_header("X-Request-ID", req.request_id());

    if (record) {
      tracing::Span span;
      span.context = req.trace();
      if (parent) {
        span.has_parent = true;
        span.parent_span_id = parent->span_id;
      }
      span.name = std::string(req.method_name()) + " " + std::string(route_label(req));
      span.kind = tracing::SpanKind::server;
      span.start_unix_nanos = start;
      span.end_unix_nanos = tracing::unix_nanos_now();
      span.status = resp.status >= 500 ? tracing::SpanStatus::error : tracing::SpanStatus::unset;
      span.string_attributes = {{"http.request.method", std::string(req.method_name())},
                                {"url.path", std::string(req.path())},
                                {"http.route", std::string(route_label(req))},
                                {"http.request_id", req.request_id()}};
      span.int_attributes = {{"http.response.status_code", resp.status}};
      queue.offer(std::move(span));
    }
    co_return resp;
  }
};

class AccessLog final : public Middleware {
 public:
  awaitable<Response> handle(Request& req, Next next) override {
    auto start = std::chrono::steady_clock::now();
    Response resp = co_await next(req);
    if (log::enabled(log::Level::info)) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            start)
                      .count();
      auto ctx = req.log_context();
      auto ua = req.header("User-Agent");
      log::write(resp.status >= 500 ? log::Level::error : log::Level::info, "http", "request",
                 &ctx,
                 {{"method", req.method_name()},
                  {"path", req.path()},
                  {"route", route_label(req)},
                  {"status", resp.status},
                  {"duration_ms", ms},
                  {"bytes", resp.body.size()},
                  {"remote", req.remote_address()},
                  {"user_agent", ua ? *ua : std::string_view{}}});
    }
    co_return resp;
  }
};

class Metrics final : public Middleware {
 public:
  explicit Metrics(metrics::Registry& r)
      : id_(next_id_++),
        requests_(r.counter("http_requests_total", "HTTP requests by route template, method and status.",
                            {"route", "method", "status"})),
        duration_(r.histogram("http_request_duration_seconds",
                              "HTTP request latency by route template and method.",
                              {"route", "method"})),
        in_flight_(r.gauge("http_requests_in_flight", "HTTP requests being handled.").with({})) {}

  awaitable<Response> handle(Request& req, Next next) override {
    auto start = std::chrono::steady_clock::now();
    in_flight_.add(1);
    Response resp;
    try {
      resp = co_await next(req);
    } catch (...) {
      in_flight_.add(-1);
      throw;
    }
    in_flight_.add(-1);
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Series s = series(req, resp.status);
    s.requests->inc();
    s.duration->observe(secs);
    co_return resp;
  }

 private:
  struct Series {
    metrics::Counter* requests;
    metrics::Histogram* duration;
  };
  struct Key {
    std::uint64_t owner;
    const void* route;
    Method method;
    int status;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::size_t h = std::hash<const void*>{}(k.route);
      h ^= (k.owner * 0x9e3779b97f4a7c15ULL) + (static_cast<std::size_t>(k.method) << 16) +
           static_cast<std::size_t>(k.status);
      return h;
    }
  };

  // The label lookup takes a lock and builds a key string; a per-thread cache of the series
  // pointers (which live as long as the registry) keeps that off the hot path. `owner` tells
  // middleware instances apart (tests build several registries in one process).
  Series series(const Request& req, int status) {
    auto lookup = [&] {
      auto route = route_label(req);
      char code[3] = {static_cast<char>('0' + status / 100 % 10),
                      static_cast<char>('0' + status / 10 % 10),
                      static_cast<char>('0' + status % 10)};
      return Series{&requests_.with({route, req.method_name(), std::string_view(code, 3)}),
                    &duration_.with({route, req.method_name()})};
    };
    if (req.method() == Method::other) return lookup();  // free-form method names: no cache
    thread_local std::unordered_map<Key, Series, KeyHash> cache;
    Key key{id_, req.route(), req.method(), status};
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    if (cache.size() > 4096) cache.clear();  // bounded: routes x methods x statuses
    return cache.emplace(key, lookup()).first->second;
  }

  static inline std::atomic<std::uint64_t> next_id_{1};
  std::uint64_t id_;
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& duration_;
  metrics::Gauge& in_flight_;
};

class Errors final : public Middleware {
 public:
  awaitable<Response> handle(Request& req, Next next) override {
    std::exception_ptr ep;
    try {
      co_return co_await next(req);
    } catch (...) {
      ep = std::current_exception();
    }
    errors::HttpError e = errors::to_http_error(ep);
    if (e.status() >= 500) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& ex) {
        what = ex.what();
      } catch (...) {
      }
      auto ctx = req.log_context();
      log::write(log::Level::error, "http", "request failed", &ctx,
                 {{"error", what}, {"method", req.method_name()}, {"path", req.path()}});
    }
    Response resp;
    resp.status = e.status();
    resp.content_type = errors::kProblemContentType;
    resp.body = errors::problem_json(e, req.path(), req.request_id());
    for (const auto& [k, v] : e.headers()) resp.set_header(k, v);
    co_return resp;
  }
};

class Cors final : public Middleware {
 public:
  explicit Cors(CorsOptions o) : o_(std::move(o)) {
    for (const auto& origin : o_.allowed_origins) any_ = any_ || origin == "*";
  }

  awaitable<Response> handle(Request& req, Next next) override {
    auto origin = req.header("Origin");
    if (!origin || o_.allowed_origins.empty() || !allowed(*origin)) {
      co_return co_await next(req);
    }
    const bool preflight =
        req.method() == Method::options && req.header("Access-Control-Request-Method");
    // No co_await inside ?: : GCC 12 miscompiles temporaries in that position.
    Response resp;
    if (preflight) {
      resp = Response::empty(204);
    } else {
      resp = co_await next(req);
    }
    // With credentials the spec forbids "*": echo the origin instead.
    resp.set_header("Access-Control-Allow-Origin",
                    any_ && !o_.allow_credentials ? std::string("*") : std::string(*origin));
    if (!any_ || o_.allow_credentials) resp.set_header("Vary", "Origin");
    if (o_.allow_credentials) resp.set_header("Access-Control-Allow-Credentials", "true");
    if (preflight) {
      resp.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      resp.set_header("Access-Control-Allow-Headers", o_.allowed_headers);
      resp.set_header("Access-Control-Max-Age", std::to_string(o_.max_age_seconds));
    } else {
      resp.set_header("Access-Control-Expose-Headers", o_.exposed_headers);
    }
    co_return resp;
  }

 private:
  bool allowed(std::string_view origin) const {
    if (any_) return true;
    for (const auto& o : o_.allowed_origins) {
      if (o == origin) return true;
    }
    return false;
  }
  CorsOptions o_;
  bool any_ = false;
};

}  // namespace

std::string_view route_label(const Request& req) {
  return req.route() ? std::string_view(req.route()->path) : std::string_view("unmatched");
}

std::shared_ptr<Middleware> request_context_middleware() {
  return std::make_shared<RequestContext>();
}
std::shared_ptr<Middleware> access_log_middleware() { return std::make_shared<AccessLog>(); }
std::shared_ptr<Middleware> metrics_middleware(metrics::Registry& r) {
  return std::make_shared<Metrics>(r);
}
std::shared_ptr<Middleware> errors_middleware() { return std::make_shared<Errors>(); }
std::shared_ptr<Middleware> cors_middleware(CorsOptions o) {
  return std::make_shared<Cors>(std::move(o));
}

}  // namespace mmx::http
