#include "mmx/redis/connection.hpp"

#include <pthread.h>

#include <csignal>
#include <cstring>


namespace mmx::redis {

using Kind = Error::Kind;

namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// hiredis writes with write(2), so a connection the server has reset raises SIGPIPE, which
// kills the process unless someone ignores it. Rather than change process-wide signal
// handling, each hiredis call runs with SIGPIPE blocked in this thread, and a SIGPIPE it
// raised is consumed before the mask is restored (the write itself fails with EPIPE).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

}  // namespace

bool is_error(const redisReply* r) { return r && r->type == REDIS_REPLY_ERROR; }

std::string_view text(const redisReply* r) {
  if (!r || !r->str ||
      (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_ERROR))
    return {};
  return std::string_view(r->str, r->len);
}

Config config_from_url(ServerUrl& u) {
  Config c;
  c.redacted_url = u.redacted;
  if (u.scheme == "rediss") throw u.error("TLS (rediss://) is not supported; use redis://");
  if (u.scheme != "redis") throw u.error("expected redis://");
  c.host = u.host;
  c.port = u.port;
  if (!u.user.empty() && !u.has_password)
    // redis://secret@host is ambiguous (user or password?), and never named back.
    throw u.error("a user needs a password: redis://user:password@host or redis://:password@host");
  c.user = u.user;
  c.password = u.password;
  c.has_password = u.has_password;
  if (!u.path.empty()) {
    if (u.path.find_first_not_of("0123456789") != std::string::npos || u.path.size() > 6)
      throw u.error("the path must be a database number (e.g. /0)");
    c.db = std::stoi(u.path);
  }
  c.connect_timeout = parse_duration(u, "connect_timeout", u.take("connect_timeout", "5s"), std::chrono::seconds(1));
  c.io_timeout = parse_duration(u, "io_timeout", u.take("io_timeout", "10s"), std::chrono::seconds(1));
  if (c.connect_timeout.count() == 0 || c.io_timeout.count() == 0) throw u.error("timeouts must be above zero");
  return c;
}

Connection::Connection(const Config& config) : config_(config) {
  ctx_.reset(redisConnectWithTimeout(config_.host.c_str(), config_.port, to_timeval(config_.connect_timeout)));
  if (!ctx_) throw error(Kind::unavailable, "out of memory creating the connection");
  if (ctx_->err) {
    broken_ = true;
    std::string why = ctx_->errstr;
    if (why.find("temporarily unavailable") != std::string::npos || why.find("timed out") != std::string::npos)
      why = "timed out after " + std::to_string(config_.connect_timeout.count()) + "ms";
    throw error(Kind::unavailable,
                "cannot connect to " + config_.host + ":" + std::to_string(config_.port) + ": " + why);
  }
  set_timeout(config_.io_timeout);
  redisEnableKeepAlive(ctx_.get());
  if (config_.has_password) {
    Args auth{"AUTH"};
    if (!config_.user.empty()) auth.add(config_.user);
    auth.add(config_.password);
    Reply r = command(auth);
    if (is_error(r.get())) {
      broken_ = true;
      // Redis's messages never echo the password ("WRONGPASS invalid username-password
      // pair", "ERR AUTH <password> called without any password configured...").
      throw error(Kind::authentication, "AUTH refused: " + std::string(text(r.get())));
    }
  }
  if (config_.db != 0) {
    std::string db = std::to_string(config_.db);
    checked({"SELECT", db}, "selecting database " + db);
  }
}

void Connection::set_timeout(std::chrono::milliseconds timeout) {
  if (timeout == timeout_) return;
  if (redisSetTimeout(ctx_.get(), to_timeval(timeout)) != REDIS_OK) throw lost("setting the socket timeout");
  timeout_ = timeout;
}

Error Connection::error(Kind kind, std::string_view what) const {
  return Error(kind, "Redis at " + config_.redacted_url + ": " + std::string(what));
}

Error Connection::lost(std::string_view what) {
  broken_ = true;
  std::string why = ctx_ && ctx_->err ? ctx_->errstr : "connection lost";
  if (why.find("temporarily unavailable") != std::string::npos)
    why = "no reply within " + std::to_string(timeout_.count()) + "ms";
  return error(Kind::unavailable, std::string(what) + ": " + why);
}

Error Connection::error_for(const redisReply& reply, std::string_view what, Kind fallback) const {
  std::string_view msg = text(&reply);
  std::string full = std::string(what) + ": " + std::string(msg);
  for (std::string_view p : {"NOAUTH", "WRONGPASS"})
    if (starts_with(msg, p)) return error(Kind::authentication, full);
  if (starts_with(msg, "NOPERM") || starts_with(msg, "WRONGTYPE")) return error(Kind::configuration, full);
  for (std::string_view p : {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "OOM", "TRYAGAIN",
                             "CLUSTERDOWN", "MISCONF", "NOGROUP"})
    if (starts_with(msg, p)) return error(Kind::unavailable, full);
  return error(fallback, full);
}

Reply Connection::command(Args args) {
  SigpipeGuard guard;
  auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_.get(), args.count(), args.argv(), args.lens()));
  if (!r) throw lost(std::string(args.name()));
  return Reply(r);
}

Reply Connection::checked(Args args, std::string_view what) {
  Reply r = command(std::move(args));
  if (is_error(r.get())) throw error_for(*r, what);
  return r;
}

void Connection::append(Args& args) {
  if (redisAppendCommandArgv(ctx_.get(), args.count(), args.argv(), args.lens()) != REDIS_OK)
    throw lost(std::string(args.name()));
}

Reply Connection::read(std::string_view what) {
  SigpipeGuard guard;
  void* r = nullptr;
  if (redisGetReply(ctx_.get(), &r) != REDIS_OK || !r) throw lost(what);
  return Reply(static_cast<redisReply*>(r));
}

}  // namespace mmx::redis
