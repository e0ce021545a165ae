#include "mmx/http/middleware.hpp"

#include <algorithm>

namespace mmx::http {

// Not coroutines: each hop hands back the callee's awaitable, so the chain costs one frame
// per middleware, not two. The Next passed on is copied into the callee's frame.
awaitable<Response> Next::operator()(Request& req) const {
  if (index_ >= limit_) return terminal_(req);
  return p_.entries_[index_].m->handle(req, Next(p_, index_ + 1, limit_, terminal_));
}

void Pipeline::use(Stage stage, std::shared_ptr<Middleware> m) {
  entries_.push_back({stage, std::move(m)});
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.stage < b.stage; });
}

awaitable<Response> Pipeline::run(Request& req, const Handler& terminal, Stage last) const {
  std::size_t limit = 0;
  while (limit < entries_.size() && entries_[limit].stage <= last) ++limit;
  return Next(*this, 0, limit, terminal)(req);
}

}  // namespace mmx::http
