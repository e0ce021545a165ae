#include "mmx/health/health.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <variant>

namespace mmx::health {

void Registry::add(std::string name, Check check) {
  checks_.emplace_back(std::move(name), std::move(check));
}

boost::asio::awaitable<Report> Registry::run(std::chrono::milliseconds timeout) const {
  using namespace boost::asio::experimental::awaitable_operators;
  Report report;
  auto ex = co_await boost::asio::this_coro::executor;
  for (const auto& [name, check] : checks_) {
    auto start = std::chrono::steady_clock::now();
    CheckResult r;
    try {
      boost::asio::steady_timer timer(ex, timeout);
      auto outcome = co_await (check() || timer.async_wait(boost::asio::use_awaitable));
      if (outcome.index() == 0) {
        r = std::get<0>(std::move(outcome));
      } else {
        r = {false, "timed out after " + std::to_string(timeout.count()) + " ms"};
      }
    } catch (const std::exception& e) {
      r = {false, e.what()};
    }
    report.ok = report.ok && r.ok;
    report.durations_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    report.checks.emplace_back(name, std::move(r));
  }
  co_return report;
}

boost::json::object Report::to_json(bool draining) const {
  boost::json::object checks_obj;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& [name, r] = checks[i];
    boost::json::object c{{"status", r.ok ? "ok" : "fail"}, {"duration_ms", durations_ms[i]}};
    if (!r.detail.empty()) c["detail"] = r.detail;
    checks_obj[name] = std::move(c);
  }
  const char* status = draining ? "draining" : ok ? "ok" : "fail";
  return {{"status", status}, {"checks", std::move(checks_obj)}};
}

}  // namespace mmx::health
