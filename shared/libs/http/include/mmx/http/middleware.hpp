#pragma once
// The middleware chain. Each middleware sees the request, may answer it itself, and
// otherwise awaits `next(req)`. Stages fix the order whatever the registration order:
// observe (request id, tracing, access log, metrics, errors) -> cors -> rate_limit -> auth
// -> app, so shared/auth and a rate limiter plug into their hook without knowing the rest.
#include <memory>
#include <vector>

#include "mmx/http/handler.hpp"

namespace mmx::http {

enum class Stage { observe = 0, cors = 1, rate_limit = 2, auth = 3, app = 4 };

class Pipeline;

class Next {
 public:
  Next(const Pipeline& p, std::size_t index, std::size_t limit, const Handler& terminal)
      : p_(p), index_(index), limit_(limit), terminal_(terminal) {}
  awaitable<Response> operator()(Request& req) const;

 private:
  const Pipeline& p_;
  std::size_t index_;
  std::size_t limit_;  // entries [index_, limit_) still to run
  const Handler& terminal_;
};

class Middleware {
 public:
  virtual ~Middleware() = default;
  virtual awaitable<Response> handle(Request& req, Next next) = 0;
};

class Pipeline {
 public:
  void use(Stage stage, std::shared_ptr<Middleware> m);
  // Runs the chain up to and including `last`, then `terminal`.
  awaitable<Response> run(Request& req, const Handler& terminal, Stage last = Stage::app) const;

 private:
  friend class Next;
  struct Entry {
    Stage stage;
    std::shared_ptr<Middleware> m;
  };
  std::vector<Entry> entries_;  // sorted by stage, stable within a stage
};

}  // namespace mmx::http
