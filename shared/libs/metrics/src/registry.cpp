#include <charconv>
#include <cmath>
#include <stdexcept>

#include "mmx/metrics/metrics.hpp"

namespace mmx::metrics {

void Counter::inc(double v) noexcept {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

void Gauge::add(double v) noexcept {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) noexcept {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::vector<double> default_latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
  if (values.size() != labels_.size()) {
    throw std::logic_error("metric " + name_ + ": wrong number of label values");
  }
  std::string key;
  for (auto v : values) {
    key.append(v);
    key.push_back('\x1f');
  }
  {
    std::shared_lock lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) return *series_[it->second].second;
  }
  std::unique_lock lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) return *series_[it->second].second;
  std::unique_ptr<Metric> m;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    m = std::make_unique<Histogram>(bounds_);
  } else {
    m = std::make_unique<Metric>();
  }
  index_.emplace(key, series_.size());
  series_.emplace_back(std::vector<std::string>(values.begin(), values.end()), std::move(m));
  return *series_.back().second;
}

template <class Metric>
void Family<Metric>::each(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& f) const {
  std::shared_lock lock(mu_);
  for (const auto& [labels, m] : series_) f(labels, *m);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry::Entry& Registry::entry(const std::string& name, Type type) {
  auto [it, inserted] = families_.try_emplace(name);
  if (!inserted && it->second.type != type) {
    throw std::logic_error("metric " + name + " registered twice with different types");
  }
  it->second.type = type;
  return it->second;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  auto& e = entry(name, Type::counter);
  if (!e.c) e.c = std::make_unique<Family<Counter>>(name, help, std::move(labels));
  return *e.c;
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  auto& e = entry(name, Type::gauge);
  if (!e.g) e.g = std::make_unique<Family<Gauge>>(name, help, std::move(labels));
  return *e.g;
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels,
                                       std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& e = entry(name, Type::histogram);
  if (!e.h) {
    e.h = std::make_unique<Family<Histogram>>(name, help, std::move(labels), std::move(bounds));
  }
  return *e.h;
}

void Registry::add_collector(std::function<void(std::string&)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

namespace {

std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!out.empty()) out += ',';
    out += names[i] + "=\"" + escape_label(values[i]) + '"';
  }
  if (!extra.empty()) {
    if (!out.empty()) out += ',';
    out += extra;
  }
  return out;
}

std::string format_bound(double b) {
  if (std::isinf(b)) return "+Inf";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, b);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string Registry::render() const {
  std::string out;
  out.reserve(8192);
  std::vector<std::function<void(std::string&)>> collectors;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, e] : families_) {
      switch (e.type) {
        case Type::counter:
          append_header(out, name, e.c->help(), Type::counter);
          e.c->each([&](const auto& values, const Counter& c) {
            append_sample(out, name, label_set(e.c->labels(), values), c.value());
          });
          break;
        case Type::gauge:
          append_header(out, name, e.g->help(), Type::gauge);
          e.g->each([&](const auto& values, const Gauge& g) {
            append_sample(out, name, label_set(e.g->labels(), values), g.value());
          });
          break;
        case Type::histogram:
          append_header(out, name, e.h->help(), Type::histogram);
          e.h->each([&](const auto& values, const Histogram& h) {
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
              cumulative += h.bucket(i);
              double le = i < h.bounds().size() ? h.bounds()[i] : INFINITY;
              append_sample(out, name + "_bucket",
                            label_set(e.h->labels(), values, "le=\"" + format_bound(le) + '"'),
                            static_cast<double>(cumulative));
            }
            auto ls = label_set(e.h->labels(), values);
            append_sample(out, name + "_sum", ls, h.sum());
            append_sample(out, name + "_count", ls, static_cast<double>(h.count()));
          });
          break;
      }
    }
    collectors = collectors_;
  }
  for (const auto& c : collectors) c(out);
  return out;
}

Registry& default_registry() {
  static Registry r;
  return r;
}

void append_header(std::string& out, std::string_view name, std::string_view help, Type type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += "\n# TYPE ";
  out += name;
  out += type == Type::counter ? " counter\n" : type == Type::gauge ? " gauge\n" : " histogram\n";
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, double v) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (std::isnan(v)) {
    out += "NaN";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
  out += '\n';
}

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

}  // namespace mmx::metrics
