#include "mmx/http/client.hpp"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <charconv>
#include <ctime>
#include <deque>
#include <exception>
#include <unordered_map>

#include "mmx/http/handler.hpp"
#include "mmx/http/text.hpp"
#include "mmx/metrics/metrics.hpp"
#include "mmx/tracing/ids.hpp"
#include "mmx/tracing/span.hpp"
#include "mmx/tracing/span_queue.hpp"

namespace mmx::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using std::chrono::milliseconds;

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr milliseconds kBaseBackoff{50};
constexpr milliseconds kMaxRetryAfter{2000};

bool is_idempotent(Method m) {
  return m == Method::get || m == Method::head || m == Method::put || m == Method::del ||
         m == Method::options;
}

bool retryable_status(int status) { return status == 502 || status == 503 || status == 504; }

std::string_view kind_name(ClientErrorKind k) {
  switch (k) {
    case ClientErrorKind::invalid_request:
      return "invalid_request";
    case ClientErrorKind::connect:
      return "connect";
    case ClientErrorKind::timeout:
      return "timeout";
    case ClientErrorKind::too_large:
      return "too_large";
    case ClientErrorKind::malformed:
      return "malformed";
    case ClientErrorKind::io:
      return "io";
  }
  return "io";
}

struct Target {
  std::string url;   // as given: error messages and url.full
  std::string host;  // for DNS (IPv6 without brackets)
  std::uint16_t port = 80;
  std::string authority;  // Host header
  std::string key;        // pool key and metric label: host:port
  std::string target;     // origin-form: path?query
};

bool host_char_ok(char c, bool ipv6) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  if (ipv6) return c == ':' || c == '.' || c == '%';
  return c == '.' || c == '-' || c == '_';
}

Target parse_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return ClientError(ClientErrorKind::invalid_request,
                       "invalid URL '" + std::string(url) + "': " + std::string(why));
  };
  auto sep = url.find("://");
  if (sep == std::string_view::npos) throw bad("expected http://host[:port]/path");
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (scheme == "https") {
    throw ClientError(ClientErrorKind::invalid_request,
                      "https is not supported by the service client (" + std::string(url) +
                          "): call services over http and let the ingress or mesh terminate TLS");
  }
  if (scheme != "http") throw bad("unsupported scheme '" + scheme + "', only http is supported");

  std::string_view rest = url.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  std::string_view auth = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (auto hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  if (auth.empty()) throw bad("missing host");
  if (auth.find('@') != std::string_view::npos) throw bad("credentials in URLs are not supported");

  std::string_view host, port_str;
  bool has_port = false, ipv6 = false;
  if (auth.front() == '[') {
    ipv6 = true;
    auto close = auth.find(']');
    if (close == std::string_view::npos) throw bad("unterminated IPv6 literal");
    host = auth.substr(1, close - 1);
    std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("unexpected text after the IPv6 literal");
      port_str = after.substr(1);
      has_port = true;
    }
  } else {
    auto colon = auth.rfind(':');
    host = auth.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_str = auth.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) throw bad("missing host");
  for (char c : host) {
    if (!host_char_ok(c, ipv6)) throw bad("invalid character in host");
  }

  Target t;
  t.url = std::string(url);
  t.host = std::string(host);
  if (has_port) {
    unsigned v = 0;
    auto r = std::from_chars(port_str.data(), port_str.data() + port_str.size(), v);
    if (port_str.empty() || r.ec != std::errc() || r.ptr != port_str.data() + port_str.size() ||
        v == 0 || v > 65535) {
      throw bad("invalid port");
    }
    t.port = static_cast<std::uint16_t>(v);
  }
  for (char c : tail) {
    // A space or control character would split the request line: callers must encode.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      throw bad("the path or query contains spaces or control characters (percent-encode them)");
    }
  }
  std::string bracketed = ipv6 ? "[" + t.host + "]" : t.host;
  t.key = bracketed + ":" + std::to_string(t.port);
  t.authority = t.port == 80 ? bracketed : t.key;
  if (tail.empty()) {
    t.target = "/";
  } else if (tail.front() == '?') {
    t.target = "/" + std::string(tail);
  } else {
    t.target = std::string(tail);
  }
  return t;
}

bool header_name_ok(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!tchar) return false;
  }
  return true;
}

// What send() needs of a ClientRequest, copied before the hop onto the strand so that the
// caller's Request (parent) is never touched from another thread.
struct Prepared {
  Method method = Method::get;
  std::string method_name;
  Target target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;
  std::optional<tracing::TraceContext> parent_trace;
  std::string request_id;
};

bool trace_valid(const tracing::TraceContext& t) {
  for (auto b : t.trace_id) {
    if (b != 0) return true;
  }
  return false;
}

Prepared prepare(ClientRequest req) {
  Prepared p;
  if (req.method == Method::other) {
    throw ClientError(ClientErrorKind::invalid_request, "unsupported HTTP method for " + req.url);
  }
  p.method = req.method;
  p.method_name = std::string(method_name(req.method));
  p.target = parse_url(req.url);
  for (const auto& [k, v] : req.headers) {
    if (!header_name_ok(k) || !header_safe(v)) {
      throw ClientError(ClientErrorKind::invalid_request,
                        "invalid header '" + k + "' in request to " + req.url);
    }
  }
  if (!header_safe(req.content_type)) {
    throw ClientError(ClientErrorKind::invalid_request,
                      "invalid content type in request to " + req.url);
  }
  p.headers = std::move(req.headers);
  p.body = std::move(req.body);
  p.content_type = std::move(req.content_type);
  if (req.parent) {
    if (trace_valid(req.parent->trace())) p.parent_trace = req.parent->trace();
    const std::string& id = req.parent->request_id();
    if (!id.empty() && header_safe(id)) p.request_id = id;
  }
  return p;
}

// The request head. Caller headers win over our defaults, except the ones that frame the
// message (Host, Content-Length, Transfer-Encoding), which must match what we send.
std::string build_head(const Prepared& p, const ClientOptions& o,
                       const std::optional<tracing::TraceContext>& ctx) {
  auto user_has = [&](std::string_view name) {
    for (const auto& [k, v] : p.headers) {
      if (iequals(k, name)) return true;
    }
    return false;
  };
  auto line = [](std::string& out, std::string_view k, std::string_view v) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  };
  std::string h;
  h.reserve(256 + p.target.target.size());
  h += p.method_name;
  h += ' ';
  h += p.target.target;
  h += " HTTP/1.1\r\n";
  line(h, "Host", p.target.authority);
  if (!o.user_agent.empty() && !user_has("User-Agent")) line(h, "User-Agent", o.user_agent);
  if (!p.content_type.empty() && !user_has("Content-Type")) {
    line(h, "Content-Type", p.content_type);
  }
  if (!p.body.empty() || p.method == Method::post || p.method == Method::put ||
      p.method == Method::patch) {
    line(h, "Content-Length", std::to_string(p.body.size()));
  }
  if (ctx && !user_has("traceparent")) line(h, "traceparent", ctx->traceparent());
  if (!p.request_id.empty() && !user_has("X-Request-ID")) line(h, "X-Request-ID", p.request_id);
  for (const auto& [k, v] : p.headers) {
    if (iequals(k, "Host") || iequals(k, "Content-Length") || iequals(k, "Transfer-Encoding")) {
      continue;
    }
    line(h, k, v);
  }
  h += "\r\n";
  return h;
}

// Delay before retry n (0-based): 50 ms * 2^n, "equal jitter" (half fixed, half random) so
// that clients failing together do not retry in lockstep.
milliseconds backoff(int n) {
  auto base = kBaseBackoff.count() << std::min(n, 10);
  auto half = base / 2;
  return milliseconds(
      half + static_cast<long>(tracing::random_u64() % static_cast<std::uint64_t>(half + 1)));
}

// Retry-After as delta-seconds or an HTTP-date.
std::optional<milliseconds> retry_after(const ClientResponse& r) {
  auto v = r.header("Retry-After");
  if (!v) return std::nullopt;
  std::string_view s = *v;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  std::uint64_t secs = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (res.ec == std::errc() && res.ptr == s.data() + s.size()) {
    return milliseconds(std::min<std::uint64_t>(secs, 86400) * 1000);
  }
  if (res.ec == std::errc::result_out_of_range) return milliseconds(86400 * 1000);
  std::tm tm{};
  std::string copy(s);
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  std::time_t when = timegm(&tm);
  std::time_t now = std::time(nullptr);
  return milliseconds(when > now ? std::min<std::time_t>(when - now, 86400) * 1000 : 0);
}

// Fires `on_expire` (on the strand) unless destroyed first. Closing the socket from here is
// what turns a hung peer into an error: asio has no per-operation timeouts.
class Watchdog {
 public:
  template <class F>
  Watchdog(const asio::any_io_executor& ex, milliseconds after, F on_expire)
      : timer_(ex, after), state_(std::make_shared<State>()) {
    timer_.async_wait([st = state_, f = std::move(on_expire)](error_code ec) mutable {
      // Disarmed: the wait may already have been queued when the owner finished.
      if (ec || st->disarmed) return;
      st->fired = true;
      f();
    });
  }
  ~Watchdog() { state_->disarmed = true; }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  bool fired() const { return state_->fired; }

 private:
  struct State {
    bool fired = false;
    bool disarmed = false;
  };
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

struct Conn {
  explicit Conn(const asio::any_io_executor& ex) : sock(ex) {}
  tcp::socket sock;
  beast::flat_buffer buf;
  Clock::time_point idle_since{};
  std::size_t uses = 0;
};
using ConnPtr = std::unique_ptr<Conn>;

// A pooled connection is worth reusing only when the server has not closed it meanwhile
// (a pending FIN reads as 0) and sent nothing unsolicited.
bool still_usable(Conn& c) {
  if (!c.sock.is_open() || c.buf.size() != 0) return false;
  char b;
  ssize_t n = ::recv(c.sock.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

const boost::system::error_category& beast_http_category() {
  static const boost::system::error_category& cat =
      bhttp::make_error_code(bhttp::error::bad_version).category();
  return cat;
}

ClientError timeout_error(const Prepared& p, milliseconds after) {
  return ClientError(ClientErrorKind::timeout,
                     p.method_name + " " + p.target.url + " timed out after " +
                         std::to_string(after.count()) + " ms waiting for the response");
}

}  // namespace

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

struct HttpClient::Impl {
  Impl(asio::any_io_executor ex, ClientOptions o)
      : strand(asio::make_strand(std::move(ex))),
        opts(std::move(o)),
        requests(metrics::default_registry().counter(
            "http_client_requests_total",
            "Outgoing HTTP requests (attempts) by host:port, method and status; status is "
            "\"error\" when no response was received.",
            {"host", "method", "status"})),
        duration(metrics::default_registry().histogram(
            "http_client_request_duration_seconds",
            "Outgoing HTTP request (attempt) latency by host:port and method.",
            {"host", "method"})) {}

  static awaitable<ClientResponse> run(std::shared_ptr<Impl> self, Prepared p);
  awaitable<ClientResponse> attempt(const Prepared& p, int n);
  awaitable<ClientResponse> exchange_pooled(const Prepared& p, const std::string& head);
  awaitable<ClientResponse> exchange(Conn& c, const Prepared& p, const std::string& head,
                                     bool& stale);
  awaitable<ConnPtr> connect(const Prepared& p);
  ConnPtr checkout(const std::string& key);
  void checkin(const std::string& key, ConnPtr c);

  // Everything below is touched only on `strand`, except the atomic and the metrics.
  asio::any_io_executor strand;
  ClientOptions opts;
  std::unordered_map<std::string, std::deque<ConnPtr>> idle;  // most recently used last
  std::atomic<std::size_t> idle_count{0};
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& duration;
};

ConnPtr HttpClient::Impl::checkout(const std::string& key) {
  auto it = idle.find(key);
  if (it == idle.end()) return nullptr;
  auto& q = it->second;
  const auto now = Clock::now();
  while (!q.empty()) {
    // LIFO: the warmest connection is the least likely to have been closed by the server.
    ConnPtr c = std::move(q.back());
    q.pop_back();
    idle_count.fetch_sub(1, std::memory_order_relaxed);
    if (now - c->idle_since < opts.idle_timeout && still_usable(*c)) return c;
  }
  return nullptr;
}

void HttpClient::Impl::checkin(const std::string& key, ConnPtr c) {
  auto& q = idle[key];
  const auto now = Clock::now();
  while (!q.empty() && now - q.front()->idle_since >= opts.idle_timeout) {
    q.pop_front();
    idle_count.fetch_sub(1, std::memory_order_relaxed);
  }
  if (q.size() >= opts.max_idle_per_host) return;  // closes c
  c->idle_since = now;
  q.push_back(std::move(c));
  idle_count.fetch_add(1, std::memory_order_relaxed);
}

awaitable<ConnPtr> HttpClient::Impl::connect(const Prepared& p) {
  auto conn = std::make_unique<Conn>(strand);
  tcp::resolver resolver(strand);
  Watchdog wd(strand, opts.connect_timeout, [&resolver, &conn] {
    resolver.cancel();
    error_code ignored;
    conn->sock.close(ignored);
  });
  auto timed_out = [&] {
    return ClientError(ClientErrorKind::timeout,
                       "connecting to " + p.target.key + " for " + p.method_name + " " +
                           p.target.url + " timed out after " +
                           std::to_string(opts.connect_timeout.count()) + " ms");
  };
  error_code ec;
  auto results = co_await resolver.async_resolve(p.target.host, std::to_string(p.target.port),
                                                 tcp::resolver::numeric_service,
                                                 asio::redirect_error(asio::use_awaitable, ec));
  if (wd.fired()) throw timed_out();
  if (ec || results.empty()) {
    throw ClientError(ClientErrorKind::connect, "cannot resolve host '" + p.target.host + "' for " +
                                                    p.method_name + " " + p.target.url + ": " +
                                                    ec.message());
  }
  // Endpoints one by one rather than asio::async_connect: closing the socket on timeout must
  // end the whole connect, not move on to the next address.
  error_code last = asio::error::host_not_found;
  bool connected = false;
  for (const auto& entry : results) {
    conn->sock.open(entry.endpoint().protocol(), ec);
    if (ec) {
      last = ec;
      continue;
    }
    co_await conn->sock.async_connect(entry.endpoint(),
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (wd.fired()) throw timed_out();
    if (!ec) {
      connected = true;
      break;
    }
    last = ec;
    error_code ignored;
    conn->sock.close(ignored);
  }
  if (!connected) {
    throw ClientError(ClientErrorKind::connect, "cannot connect to " + p.target.key + " for " +
                                                    p.method_name + " " + p.target.url + ": " +
                                                    last.message());
  }
  conn->sock.set_option(tcp::no_delay(true), ec);
  co_return conn;
}

awaitable<ClientResponse> HttpClient::Impl::exchange(Conn& c, const Prepared& p,
                                                     const std::string& head, bool& stale) {
  const bool pooled = c.uses > 0;
  Watchdog wd(strand, opts.request_timeout, [&c] {
    error_code ignored;
    c.sock.close(ignored);
  });
  error_code ec;
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(p.body)};
  co_await asio::async_write(c.sock, bufs, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    if (wd.fired()) throw timeout_error(p, opts.request_timeout);
    stale = pooled;
    throw ClientError(ClientErrorKind::io,
                      "sending " + p.method_name + " " + p.target.url + " failed: " + ec.message());
  }

  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  for (;;) {
    parser.emplace();
    parser->header_limit(kHeaderLimit);
    parser->body_limit(opts.max_response_body);
    if (p.method == Method::head) parser->skip(true);
    co_await bhttp::async_read(c.sock, c.buf, *parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    // Interim 1xx responses (103 Early Hints) precede the real one.
    int st = parser->get().result_int();
    if (st >= 200 || st == 101) break;
  }
  if (ec) {
    if (wd.fired()) throw timeout_error(p, opts.request_timeout);
    const std::string what = p.method_name + " " + p.target.url;
    if (ec == bhttp::error::body_limit) {
      throw ClientError(ClientErrorKind::too_large,
                        "response to " + what + " is too large: the body exceeds " +
                            std::to_string(opts.max_response_body) + " bytes");
    }
    if (ec == bhttp::error::end_of_stream ||
        (!parser->got_some() && (ec == asio::error::eof || ec == asio::error::connection_reset ||
                                 ec == asio::error::broken_pipe))) {
      stale = pooled;
      throw ClientError(ClientErrorKind::io,
                        "connection closed by " + p.target.key + " before a response to " + what);
    }
    if (ec == bhttp::error::partial_message || ec.category() != beast_http_category()) {
      throw ClientError(ClientErrorKind::io, "connection to " + p.target.key +
                                                 " lost while reading the response to " + what +
                                                 ": " + ec.message());
    }
    throw ClientError(ClientErrorKind::malformed,
                      "malformed HTTP response to " + what + ": " + ec.message());
  }

  auto& msg = parser->get();
  ClientResponse resp;
  resp.status = static_cast<int>(msg.result_int());
  resp.headers.reserve(16);
  for (const auto& f : msg) resp.headers.emplace_back(f.name_string(), f.value());
  resp.body = std::move(msg.body());
  ++c.uses;
  const bool reusable = msg.keep_alive() && !parser->need_eof() && c.sock.is_open() &&
                        c.buf.size() == 0 && resp.status != 101;
  if (!reusable) {
    error_code ignored;
    c.sock.close(ignored);
  }
  co_return resp;
}

awaitable<ClientResponse> HttpClient::Impl::exchange_pooled(const Prepared& p,
                                                            const std::string& head) {
  const bool idempotent = is_idempotent(p.method);
  for (;;) {
    ConnPtr c = checkout(p.target.key);
    const bool pooled = c != nullptr;
    if (!c) c = co_await connect(p);
    bool stale = false;
    std::exception_ptr error;
    try {
      ClientResponse resp = co_await exchange(*c, p, head, stale);
      if (c->sock.is_open()) checkin(p.target.key, std::move(c));
      co_return resp;
    } catch (const ClientError&) {
      error = std::current_exception();
    }
    // The server closed a pooled connection as we reused it: nothing was processed, so an
    // idempotent request goes again on a fresh connection without spending an attempt.
    if (!(pooled && stale && idempotent)) std::rethrow_exception(error);
  }
}

awaitable<ClientResponse> HttpClient::Impl::attempt(const Prepared& p, int n) {
  auto& queue = tracing::default_span_queue();
  const bool tracing_on = opts.record_spans && queue.enabled();
  std::optional<tracing::TraceContext> ctx;
  if (p.parent_trace) {
    ctx = p.parent_trace->child();
  } else if (tracing_on) {
    ctx = tracing::TraceContext::new_root();
  }
  const bool record = tracing_on && ctx && ctx->sampled();
  const std::string head = build_head(p, opts, ctx);
  const auto start = Clock::now();
  const std::uint64_t start_ns = record ? tracing::unix_nanos_now() : 0;

  ClientResponse resp;
  std::exception_ptr error;
  std::optional<ClientErrorKind> kind;
  try {
    resp = co_await exchange_pooled(p, head);
  } catch (const ClientError& e) {
    error = std::current_exception();
    kind = e.kind();
  }

  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string status = error ? std::string("error") : std::to_string(resp.status);
  requests.with({p.target.key, p.method_name, status}).inc();
  duration.with({p.target.key, p.method_name}).observe(secs);

  if (record) {
    tracing::Span span;
    span.context = *ctx;
    if (p.parent_trace) {
      span.has_parent = true;
      span.parent_span_id = p.parent_trace->span_id;
    }
    span.name = "HTTP " + p.method_name;
    span.kind = tracing::SpanKind::client;
    span.start_unix_nanos = start_ns;
    span.end_unix_nanos = tracing::unix_nanos_now();
    // For a client span a 4xx is an error too: the call did not do what was asked.
    span.status =
        error || resp.status >= 400 ? tracing::SpanStatus::error : tracing::SpanStatus::unset;
    span.string_attributes = {{"http.request.method", p.method_name},
                              {"url.full", p.target.url},
                              {"server.address", p.target.host}};
    span.int_attributes = {{"server.port", p.target.port}};
    if (error) {
      span.string_attributes.emplace_back("error.type", std::string(kind_name(*kind)));
    } else {
      span.int_attributes.emplace_back("http.response.status_code", resp.status);
    }
    if (n > 0) span.int_attributes.emplace_back("http.request.resend_count", n);
    queue.offer(std::move(span));
  }

  if (error) std::rethrow_exception(error);
  co_return resp;
}

awaitable<ClientResponse> HttpClient::Impl::run(std::shared_ptr<Impl> self, Prepared p) {
  const int max_attempts = is_idempotent(p.method) ? std::max(1, self->opts.max_attempts) : 1;
  for (int n = 0;; ++n) {
    std::optional<ClientResponse> resp;
    std::exception_ptr error;
    bool retryable = false;
    try {
      resp = co_await self->attempt(p, n);
    } catch (const ClientError& e) {
      error = std::current_exception();
      retryable = e.kind() == ClientErrorKind::connect || e.kind() == ClientErrorKind::timeout;
    }
    // Our own cancellation surfaces as aborted I/O: report it as such, never retry it.
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) {
      throw boost::system::system_error(asio::error::operation_aborted, "HttpClient::send");
    }
    const bool last = n + 1 >= max_attempts;
    milliseconds delay = backoff(n);
    if (error) {
      if (last || !retryable) std::rethrow_exception(error);
    } else {
      if (last || !retryable_status(resp->status)) co_return std::move(*resp);
      if (auto ra = retry_after(*resp)) {
        // The server wants more time than we are willing to wait: let the caller decide.
        if (*ra > kMaxRetryAfter) co_return std::move(*resp);
        delay = std::max(delay, *ra);
      }
    }
    asio::steady_timer timer(self->strand, delay);
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

HttpClient::HttpClient(boost::asio::any_io_executor ex, ClientOptions opts)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(opts))) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

awaitable<ClientResponse> HttpClient::send(ClientRequest req) {
  Prepared p = prepare(std::move(req));
  std::shared_ptr<Impl> impl = impl_;
  co_return co_await asio::co_spawn(impl->strand, Impl::run(impl, std::move(p)),
                                    asio::use_awaitable);
}

awaitable<ClientResponse> HttpClient::get(std::string url, const Request* parent) {
  ClientRequest req;
  req.method = Method::get;
  req.url = std::move(url);
  req.parent = parent;
  return send(std::move(req));
}

awaitable<ClientResponse> HttpClient::post_json(std::string url, std::string body,
                                                const Request* parent) {
  ClientRequest req;
  req.method = Method::post;
  req.url = std::move(url);
  req.body = std::move(body);
  req.content_type = "application/json";
  req.parent = parent;
  return send(std::move(req));
}

std::size_t HttpClient::idle_connections() const {
  return impl_->idle_count.load(std::memory_order_relaxed);
}

const ClientOptions& HttpClient::options() const { return impl_->opts; }

}  // namespace mmx::http
