#pragma once
// Async HTTP/1.1 client for service-to-service calls: keep-alive pool per host:port,
// connect and request timeouts, retries of idempotent requests, W3C trace context and
// request id propagation, client spans and metrics. Plain http only: services talk over
// the cluster network or loopback, and TLS is terminated by the ingress/mesh.
//
// Threading: an HttpClient owns a strand over the executor it is given, and every socket,
// timer and the pool live on that strand. `send()` may be awaited from any coroutine on any
// executor or thread (it hops onto the strand and back), so one client can be shared by all
// the io threads of a server. Each pooled connection serves one request at a time.
// Cancelling the awaiting coroutine (asio per-operation cancellation) aborts the request
// and throws boost::system::system_error(operation_aborted).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmx/http/method.hpp"
#include "mmx/http/request.hpp"

namespace mmx::http {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{2000};   // DNS + TCP connect
  std::chrono::milliseconds request_timeout{10000};  // whole attempt: write + read response
  // Retries only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) on connect
  // errors, timeouts and 502/503/504; backoff 50 ms * 2^n with jitter. A Retry-After of up
  // to 2 s is waited for; a longer one ends the retries and the response is returned.
  int max_attempts = 3;
  std::size_t max_idle_per_host = 16;  // keep-alive pool per host:port
  std::uint64_t max_response_body = 16 * 1024 * 1024;
  std::string user_agent = "micromax";
  // Pooled connections idle longer than this are closed rather than reused: servers drop
  // idle keep-alive connections (ours after 60 s) and a reused dead one costs a round trip.
  std::chrono::milliseconds idle_timeout{30000};
  // Client spans go to tracing::default_span_queue() when it is enabled. The OTLP exporter
  // turns this off so that exporting spans does not itself produce spans to export.
  bool record_spans = true;
};

struct ClientRequest {
  Method method = Method::get;
  std::string url;  // http://host:port/path?query (https is refused)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;
  // The request being handled: the call carries `traceparent` (a child span of
  // parent->trace()) and its `X-Request-ID`. Only read before send() first suspends.
  const Request* parent = nullptr;
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const;  // case-insensitive
};

enum class ClientErrorKind {
  invalid_request,  // bad or unsupported URL (https), bad header, unsupported method
  connect,          // DNS failure, connection refused or unreachable
  timeout,          // connect or request timeout
  too_large,        // response body over max_response_body
  malformed,        // the peer did not answer with valid HTTP/1.x
  io,               // connection lost mid-request
};

class ClientError : public std::runtime_error {
 public:
  ClientError(ClientErrorKind kind, const std::string& what)
      : std::runtime_error(what), kind_(kind) {}
  ClientErrorKind kind() const noexcept { return kind_; }

 private:
  ClientErrorKind kind_;
};

class HttpClient {
 public:
  explicit HttpClient(boost::asio::any_io_executor ex, ClientOptions opts = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Throws ClientError when no response could be obtained. Error statuses are responses,
  // not exceptions: a 503 that is still a 503 after the last attempt is returned.
  boost::asio::awaitable<ClientResponse> send(ClientRequest req);
  boost::asio::awaitable<ClientResponse> get(std::string url, const Request* parent = nullptr);
  boost::asio::awaitable<ClientResponse> post_json(std::string url, std::string body,
                                                   const Request* parent = nullptr);

  std::size_t idle_connections() const;
  const ClientOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with requests in flight on the strand
};

}  // namespace mmx::http
