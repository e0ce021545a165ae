#pragma once
// Prometheus metrics: counters, gauges and histograms, optionally labelled, rendered in the
// text exposition format. Updates are lock-free atomics; only creating a new label set
// takes a lock (a shared one for look-ups), so the hot path never serialises io threads.
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mmx::metrics {

class Counter {
 public:
  void inc(double v = 1.0) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double v) noexcept;
  const std::vector<double>& bounds() const { return bounds_; }
  std::uint64_t bucket(std::size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Seconds; covers a 100 µs cache hit to a 10 s slow query.
std::vector<double> default_latency_buckets();

enum class Type { counter, gauge, histogram };

// A metric name with its label names; `with(values)` returns the series for those values,
// creating it on first use. Returned references stay valid for the registry's lifetime.
template <class Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}

  Metric& with(std::initializer_list<std::string_view> values);
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // Calls f(label values, metric) for each series, in creation order.
  void each(const std::function<void(const std::vector<std::string>&, const Metric&)>& f) const;

 private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::pair<std::vector<std::string>, std::unique_ptr<Metric>>> series_;
};

class Registry {
 public:
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> labels = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> labels = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> labels = {},
                               std::vector<double> bounds = default_latency_buckets());
  // A collector appends complete exposition text (HELP, TYPE, samples) when scraped: for
  // values that are read rather than counted (process RSS, queue depth of a pool).
  void add_collector(std::function<void(std::string&)> collector);
  std::string render() const;

 private:
  struct Entry {
    Type type;
    std::unique_ptr<Family<Counter>> c;
    std::unique_ptr<Family<Gauge>> g;
    std::unique_ptr<Family<Histogram>> h;
  };
  Entry& entry(const std::string& name, Type type);
  mutable std::mutex mu_;
  std::map<std::string, Entry> families_;
  std::vector<std::function<void(std::string&)>> collectors_;
};

// The process-wide registry every component reports to.
Registry& default_registry();

// Helpers for collectors writing exposition text by hand.
void append_header(std::string& out, std::string_view name, std::string_view help, Type type);
void append_sample(std::string& out, std::string_view name, std::string_view labels, double v);
std::string escape_label(std::string_view v);

// Registers process_* metrics (RSS, CPU seconds, open fds, start time) read from /proc.
void register_process_metrics(Registry& registry);

}  // namespace mmx::metrics
