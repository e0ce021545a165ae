#include "mmx/http/server.hpp"

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <charconv>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include "mmx/errors/http_error.hpp"
#include "mmx/http/text.hpp"
#include "mmx/log/log.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr auto kNever = Clock::time_point::max();

// One connection. Everything here is touched only by its worker's single io thread.
struct Conn {
  enum class Phase { idle, reading, handling, writing };

  explicit Conn(tcp::socket s) : sock(std::move(s)), timer(sock.get_executor()) {}

  // The watchdog timer is re-armed lazily; only a deadline earlier than the armed one
  // needs to wake it.
  void set_deadline(Clock::time_point t) {
    deadline = t;
    if (t < armed) timer.cancel();
  }

  tcp::socket sock;
  asio::steady_timer timer;
  ConnectionState state;  // Request::connection_state()
  Clock::time_point deadline = kNever;
  Clock::time_point armed = kNever;
  Phase phase = Phase::idle;
  bool timed_out = false;
  bool closed = false;
  std::string remote;
};

struct Worker {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  tcp::acceptor acceptor{ioc};
  std::unordered_set<Conn*> conns;
  std::thread thread;
};

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// "Date" changes once a second; format it once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_sec = 0;
  thread_local char buf[32];
  std::time_t now = std::time(nullptr);
  if (now != cached_sec) {
    cached_sec = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return buf;
}

void serialize(const Request& req, const Response& resp, bool keep_alive, std::string& out) {
  char num[24];
  out += "HTTP/1.1 ";
  auto r = std::to_chars(num, num + sizeof num, resp.status);
  out.append(num, r.ptr);
  out += ' ';
  out += errors::reason_phrase(resp.status);
  out += "\r\nDate: ";
  out += http_date();
  out += "\r\n";
  if (!resp.content_type.empty()) {
    out += "Content-Type: ";
    out += resp.content_type;
    out += "\r\n";
  }
  const bool bodiless = resp.status < 200 || resp.status == 204 || resp.status == 304;
  if (!bodiless) {
    out += "Content-Length: ";
    r = std::to_chars(num, num + sizeof num, resp.body.size());
    out.append(num, r.ptr);
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (req.version() == 10) {
    out += "Connection: keep-alive\r\n";
  }
  for (const auto& [k, v] : resp.headers) {
    // A handler echoing user input into a header must not be able to split the response.
    if (!header_safe(k) || !header_safe(v)) continue;
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "\r\n";
  if (!bodiless && req.method() != Method::head) out += resp.body;
}

// True when the buffer holds the end of a header block: another pipelined request is
// (at least partly) here, so answering it can share the pending write.
bool has_header_end(const beast::flat_buffer& buf) {
  std::string_view data(static_cast<const char*>(buf.data().data()), buf.size());
  return data.find("\r\n\r\n") != std::string_view::npos;
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, const Router& r, const Pipeline& p)
      : opt(std::move(o)),
        router(r),
        pipeline(p),
        rejected(metrics::default_registry()
                     .counter("http_connections_rejected_total",
                              "Connections refused because the server was at its connection cap.")
                     .with({})),
        timeouts(metrics::default_registry()
                     .counter("http_timeouts_total",
                              "Connections closed by a header, body, idle or write timeout.",
                              {"phase"})),
        open_gauge(metrics::default_registry()
                       .gauge("http_connections_open", "Open client connections.")
                       .with({})) {
    // The found case returns the handler's awaitable as is (no extra coroutine frame).
    dispatch = [this](Request& req) -> awaitable<Response> {
      if (req.route()) return req.route()->handler(req);
      return unmatched(req);
    };
  }

  // Error path only: match again for the details (Allow list, bad parameter).
  awaitable<Response> unmatched(Request& req) {
    Match m = router.match(req.method(), req.path());
    switch (m.kind) {
      case Match::Kind::method_not_allowed:
        if (req.method() == Method::options) {
          Response resp = Response::empty(204);
          resp.set_header("Allow", m.allow);
          co_return resp;
        }
        throw errors::method_not_allowed(m.allow);
      case Match::Kind::bad_param: {
        boost::json::array errs;
        errs.push_back({{"parameter", m.bad_param}, {"in", "path"}, {"detail", m.bad_param_message}});
        throw std::move(errors::HttpError(422, "path parameter '" + m.bad_param + "' " +
                                                   m.bad_param_message + ".")
                            .with_type("urn:micromax:problem:validation")
                            .with_extension("errors", std::move(errs)));
      }
      default:
        throw errors::not_found("No route matches " + std::string(req.path()) + ".");
    }
  }

  awaitable<void> accept_loop(Worker& w);
  awaitable<void> session(Worker& w, std::shared_ptr<Conn> c);
  awaitable<void> serve(Conn& c);
  awaitable<void> watchdog(std::shared_ptr<Conn> c);
  awaitable<bool> write_out(Conn& c, std::string& out);
  awaitable<Response> reject(Conn& c, const bhttp::request_parser<bhttp::string_body>& parser,
                             errors::HttpError err);
  void refuse_over_capacity(tcp::socket& s);

  ServerOptions opt;
  const Router& router;
  const Pipeline& pipeline;
  Handler dispatch;
  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> draining{false};
  std::uint16_t port = 0;
  bool stopped = false;
  metrics::Counter& rejected;
  metrics::Family<metrics::Counter>& timeouts;
  metrics::Gauge& open_gauge;
};

awaitable<void> Server::Impl::accept_loop(Worker& w) {
  for (;;) {
    error_code ec;
    tcp::socket s = co_await w.acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!w.acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors and the like: back off rather than spin on the error.
      log::warn("http", "accept failed", {{"error", ec.message()}});
      asio::steady_timer t(w.ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (draining.load(std::memory_order_relaxed)) {
      s.close(ec);
      continue;
    }
    if (connections.fetch_add(1, std::memory_order_relaxed) >= opt.max_connections) {
      connections.fetch_sub(1, std::memory_order_relaxed);
      refuse_over_capacity(s);
      continue;
    }
    open_gauge.add(1);
    s.set_option(tcp::no_delay(true), ec);
    auto c = std::make_shared<Conn>(std::move(s));
    auto ep = c->sock.remote_endpoint(ec);
    if (!ec) c->remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    w.conns.insert(c.get());
    asio::co_spawn(w.ioc, session(w, std::move(c)), asio::detached);
  }
}

void Server::Impl::refuse_over_capacity(tcp::socket& s) {
  static constexpr std::string_view kBody =
      R"({"type":"about:blank","title":"Service Unavailable","status":503,)"
      R"("detail":"The server is at its connection limit; retry shortly."})";
  std::string msg =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
      std::to_string(kBody.size()) + "\r\n\r\n" + std::string(kBody);
  error_code ec;
  // Best effort and never blocking: a client that cannot take 200 bytes just loses them.
  s.non_blocking(true, ec);
  s.write_some(asio::buffer(msg), ec);
  s.shutdown(tcp::socket::shutdown_both, ec);
  s.close(ec);
  rejected.inc();
}

awaitable<void> Server::Impl::session(Worker& w, std::shared_ptr<Conn> c) {
  asio::co_spawn(w.ioc, watchdog(c), asio::detached);
  try {
    co_await serve(*c);
  } catch (const std::exception& e) {
    log::debug("http", "connection ended by an exception", {{"error", e.what()}});
  }
  // Lingering close, as nginx does: after an early answer (413, 431) the client may still be
  // sending; closing with unread data makes the kernel send RST, which can destroy our
  // response before the client reads it. Drain for up to a second or 1 MiB instead.
  error_code ec;
  c->sock.shutdown(tcp::socket::shutdown_send, ec);
  if (!ec && c->sock.is_open()) {
    c->phase = Conn::Phase::idle;
    c->set_deadline(Clock::now() + std::chrono::seconds(1));
    char sink[4096];
    std::size_t total = 0;
    while (total < (1u << 20)) {
      std::size_t n = co_await c->sock.async_read_some(
          asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      total += n;
    }
  }
  c->closed = true;
  c->timer.cancel();
  c->sock.close(ec);
  w.conns.erase(c.get());
  open_gauge.add(-1);
  connections.fetch_sub(1, std::memory_order_relaxed);
}

awaitable<void> Server::Impl::watchdog(std::shared_ptr<Conn> c) {
  error_code ec;
  while (!c->closed) {
    c->armed = c->deadline;
    c->timer.expires_at(c->armed);
    co_await c->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (c->closed) break;
    if (Clock::now() < c->deadline) continue;  // moved: re-arm at the new deadline
    c->timed_out = true;
    c->deadline = kNever;
    switch (c->phase) {
      case Conn::Phase::reading:
        // The session answers 408 once its pending read is cancelled.
        timeouts.with({"request"}).inc();
        c->sock.cancel(ec);
        break;
      case Conn::Phase::idle:
        timeouts.with({"idle"}).inc();
        c->sock.close(ec);
        break;
      case Conn::Phase::writing:
        timeouts.with({"write"}).inc();
        c->sock.close(ec);
        break;
      case Conn::Phase::handling:
        break;  // handlers are bounded by their own timeouts and the drain deadline
    }
  }
}

awaitable<bool> Server::Impl::write_out(Conn& c, std::string& out) {
  c.phase = Conn::Phase::writing;
  c.set_deadline(Clock::now() + opt.write_timeout);
  error_code ec;
  co_await asio::async_write(c.sock, asio::buffer(out),
                             asio::redirect_error(asio::use_awaitable, ec));
  out.clear();
  if (out.capacity() > 256 * 1024) std::string().swap(out);  // after a large asset
  co_return !ec;
}

awaitable<Response> Server::Impl::reject(Conn& c,
                                         const bhttp::request_parser<bhttp::string_body>& parser,
                                         errors::HttpError err) {
  // Whatever of the request line was parsed, so the log line says what was refused.
  const auto& msg = parser.get();
  std::string method(msg.method_string()), target(msg.target());
  Request req = Request::make(parse_method(method), target.empty() ? "/" : target);
  req.set_remote_address(c.remote);
  Handler fail = [&err](Request&) -> awaitable<Response> {
    throw err;
    co_return Response{};
  };
  co_return co_await pipeline.run(req, fail, Stage::observe);
}

awaitable<void> Server::Impl::serve(Conn& c) {
  beast::flat_buffer buf;
  std::string out;
  std::size_t queued = 0, served = 0;
  error_code ec;
  for (;;) {
    if (buf.size() == 0) {
      if (!out.empty()) {
        if (!co_await write_out(c, out)) co_return;
        queued = 0;
      }
      if (draining.load(std::memory_order_relaxed)) co_return;
      c.phase = Conn::Phase::idle;
      c.set_deadline(Clock::now() + (served == 0 ? opt.header_timeout : opt.idle_timeout));
      std::size_t n = co_await c.sock.async_read_some(
          buf.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // peer closed, idle timeout, or drain closed us
      buf.commit(n);
    }

    c.phase = Conn::Phase::reading;
    c.set_deadline(Clock::now() + opt.header_timeout);
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    // Beast checks Content-Length against the body limit while it reads the header, and
    // never again: the header is read without one, and the limit that applies (the
    // route's, else the server's) is checked and set below, before a byte of body is read.
    parser.body_limit(boost::none);
    co_await bhttp::async_read_header(c.sock, buf, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    std::uint64_t body_limit = opt.body_limit;
    if (!ec && !parser.is_done()) {
      // A route may allow a bigger body than the server's default (a bulk import), or a
      // smaller one: it is known from the request line.
      const auto& head = parser.get();
      std::string_view target = head.target();
      Match pre = router.match(parse_method(head.method_string()),
                               target.substr(0, target.find('?')));
      if (pre.kind == Match::Kind::found && pre.route->body_limit) {
        body_limit = *pre.route->body_limit;
      }
      parser.body_limit(body_limit);
      if (auto length = parser.content_length(); length && *length > body_limit) {
        ec = bhttp::error::body_limit;
      }
    }
    if (!ec && !parser.is_done()) {
      if (parser.get()[bhttp::field::expect] == "100-continue") {
        std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!co_await write_out(c, cont)) co_return;
      }
      c.phase = Conn::Phase::reading;
      c.set_deadline(Clock::now() + opt.body_timeout);
      co_await bhttp::async_read(c.sock, buf, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      std::optional<errors::HttpError> err;
      if (c.timed_out) {
        err.emplace(408, "The request was not received in time.");
      } else if (ec == bhttp::error::header_limit) {
        err = errors::header_fields_too_large("The request headers exceed " +
                                              std::to_string(opt.header_limit) + " bytes.");
      } else if (ec == bhttp::error::body_limit) {
        err = errors::payload_too_large("The request body exceeds " +
                                        std::to_string(body_limit) + " bytes.");
      } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
                 ec == asio::error::eof || ec == asio::error::connection_reset ||
                 ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
        co_return;  // the client went away (or we closed it): nobody to answer
      } else {
        err = errors::bad_request("Malformed HTTP request: " + ec.message() + ".");
      }
      c.timed_out = false;
      c.phase = Conn::Phase::handling;
      c.set_deadline(kNever);
      Response resp = co_await reject(c, parser, std::move(*err));
      Request dummy = Request::make(Method::get, "/");
      serialize(dummy, resp, false, out);
      co_await write_out(c, out);
      co_return;
    }

    auto& msg = parser.get();
    HeaderList headers;
    for (const auto& f : msg) headers.emplace_back(f.name_string(), f.value());
    Request req(parse_method(msg.method_string()), msg.method_string(), msg.target(),
                std::move(headers), std::move(msg.body()), msg.version());
    req.set_remote_address(c.remote);
    req.set_connection_state(&c.state);
    Match m = router.match(req.method(), req.path());
    if (m.kind == Match::Kind::found) req.set_route(m.route, std::move(m.params));

    c.phase = Conn::Phase::handling;
    c.set_deadline(kNever);
    Response resp;
    try {
      resp = co_await pipeline.run(req, dispatch);
    } catch (const std::exception& e) {
      // Only a middleware outside the errors middleware can get here.
      log::error("http", "unhandled exception outside the error middleware",
                 {{"error", e.what()}});
      resp = Response::text("internal error", "text/plain", 500);
    }
    ++served;
    bool keep = msg.keep_alive() && !draining.load(std::memory_order_relaxed) &&
                (opt.max_requests_per_connection == 0 ||
                 served < opt.max_requests_per_connection);
    serialize(req, resp, keep, out);
    ++queued;
    if (!keep) {
      co_await write_out(c, out);
      co_return;
    }
    if (buf.size() == 0 || queued >= opt.pipeline_depth || !has_header_end(buf)) {
      if (!co_await write_out(c, out)) co_return;
      queued = 0;
    }
  }
}

Server::Server(ServerOptions options, const Router& router, const Pipeline& pipeline)
    : impl_(std::make_unique<Impl>(std::move(options), router, pipeline)) {}

Server::~Server() { stop(); }

void Server::start() {
  auto& o = impl_->opt;
  std::size_t n = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  const std::string where = o.host + ":" + std::to_string(o.port);
  error_code ec;
  asio::io_context resolve_ctx;
  tcp::resolver resolver(resolve_ctx);
  auto results = resolver.resolve(o.host, std::to_string(o.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("cannot listen on " + where + ": cannot resolve host '" + o.host +
                             "' (" + ec.message() + ")");
  }
  tcp::endpoint ep = results.begin()->endpoint();

  // SO_REUSEPORT would let us silently share a port with another process of the same
  // user; a plain bind first tells us whether the port is really free.
  if (ep.port() != 0) {
    tcp::acceptor probe(resolve_ctx);
    probe.open(ep.protocol(), ec);
    if (!ec) probe.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) probe.bind(ep, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + where + ": " + ec.message() +
                               (ec == asio::error::address_in_use
                                    ? " (another process is using it; pick another with "
                                      "--listen or MMX_LISTEN)"
                                    : ""));
    }
  }

  for (std::size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    auto& a = w->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.set_option(reuse_port(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(o.backlog, ec);
    if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
    if (i == 0) {
      impl_->port = a.local_endpoint().port();
      ep.port(impl_->port);  // port 0: the others join the port the kernel chose
    }
    impl_->workers.push_back(std::move(w));
  }
  for (auto& w : impl_->workers) {
    asio::co_spawn(w->ioc, impl_->accept_loop(*w), asio::detached);
    Worker* wp = w.get();
    w->thread = std::thread([wp] { wp->ioc.run(); });
  }
}

std::uint16_t Server::port() const { return impl_->port; }
std::size_t Server::threads() const { return impl_->workers.size(); }
boost::asio::io_context& Server::context(std::size_t i) { return impl_->workers.at(i)->ioc; }
bool Server::draining() const { return impl_->draining.load(); }
std::size_t Server::open_connections() const { return impl_->connections.load(); }

void Server::begin_drain() {
  if (impl_->draining.exchange(true)) return;
  for (auto& w : impl_->workers) {
    Worker* wp = w.get();
    asio::post(wp->ioc, [wp] {
      error_code ec;
      wp->acceptor.close(ec);
      for (Conn* c : wp->conns) {
        if (c->phase == Conn::Phase::idle) c->sock.close(ec);
      }
    });
  }
}

bool Server::wait_for_connections(std::chrono::steady_clock::time_point deadline) {
  while (impl_->connections.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& w : impl_->workers) {
    w->guard.reset();
    w->ioc.stop();
  }
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace mmx::http
