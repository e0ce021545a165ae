#include "mmx/http/middleware.hpp"

#include <algorithm>

namespace mmx::http {

awaitable<Response> Next::operator()(Request& req) const {
  if (index_ >= limit_) co_return co_await terminal_(req);
  co_return co_await p_.entries_[index_].m->handle(req, Next(p_, index_ + 1, limit_, terminal_));
}

void Pipeline::use(Stage stage, std::shared_ptr<Middleware> m) {
  entries_.push_back({stage, std::move(m)});
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.stage < b.stage; });
}

awaitable<Response> Pipeline::run(Request& req, const Handler& terminal, Stage last) const {
  std::size_t limit = 0;
  while (limit < entries_.size() && entries_[limit].stage <= last) ++limit;
  co_return co_await Next(*this, 0, limit, terminal)(req);
}

}  // namespace mmx::http
