#pragma once
// Readiness checks: each module registers the dependencies it cannot work without (its
// database, its broker); /readyz runs them all, each bounded by a timeout.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace mmx::health {

struct CheckResult {
  bool ok = true;
  std::string detail;
};

using Check = std::function<boost::asio::awaitable<CheckResult>()>;

struct Report {
  bool ok = true;
  boost::json::object to_json(bool draining) const;
  std::vector<std::pair<std::string, CheckResult>> checks;
  std::vector<double> durations_ms;
};

class Registry {
 public:
  void add(std::string name, Check check);
  std::size_t size() const { return checks_.size(); }
  // Runs every check (one that throws or exceeds `timeout` fails with that as detail).
  boost::asio::awaitable<Report> run(std::chrono::milliseconds timeout) const;

 private:
  std::vector<std::pair<std::string, Check>> checks_;
};

}  // namespace mmx::health
