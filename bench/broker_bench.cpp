// The broker and the outbox, end to end, on every backend (driven by bench/broker.sh, which
// starts the servers, runs redis-benchmark and prints the tables around these rows).
//
// Per backend, through the generic Broker with one consume() on one io thread:
//   throughput  publish_batch() of --batch events back to back for --duration-ms while one
//               consumer handles them: publish events/s and end-to-end events/s (first
//               publish to the last handler call);
//   closed loop publish() one event at a time, each awaited: the publisher's capacity for
//               single events (one publisher thread, one backend round trip each);
//   latency     publish() single events at a fixed rate (open loop: each send starts on its
//               schedule, whether or not the previous one has finished) and the time from
//               the scheduled send to the handler call, p50/p99/max. A rate above 90% of the
//               closed-loop capacity is skipped (its queue would only grow).
// The outbox path (a transaction with a state row + outbox.add, committed; the relay
// publishes to the SQLite log; one consumer) on SQLite and PostgreSQL, the same way.
// Baselines in the same run: raw sqlite3 INSERTs of the same payloads in batches (the SQLite
// log's cost floor) and a raw librdkafka producer on the same mock cluster (Kafka);
// redis-benchmark's XADD rate comes from the script (--redis-baseline).
//
// Output on stdout: Markdown rows tagged T (throughput), L (latency), N (notes); the
// script strips the tags and adds the headers.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mmx/broker/broker.hpp"
#include "mmx/broker/outbox.hpp"
#include "mmx/db/database.hpp"
#include "mmx/db/url.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "mmx/log/log.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx_bench {

namespace asio = boost::asio;
namespace json = boost::json;
namespace broker = mmx::broker;
namespace db = mmx::db;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;
using namespace std::chrono_literals;

struct Settings {
  std::string sqlite_dir;  // SQLite log (+ raw sqlite3 baseline)
  std::string amqp_url;
  std::string redis_url;
  double redis_baseline = 0;  // redis-benchmark XADD events/s, from the script
  std::string redis_baseline_note;
  double redis_single_baseline = 0;  // redis-benchmark XADD, 1 connection, no pipelining
  bool kafka_mock = false;  // Kafka on librdkafka's mock cluster (+ raw librdkafka baseline)
  std::string outbox_sqlite_dir;
  std::string outbox_postgres_url;
  Ms duration{1500};                  // one throughput round
  std::uint64_t max_events = 200000;  // per publish-only round (the Kafka mock keeps all in RAM)
  int rounds = 3;                     // throughput rounds (baseline and ours alternate)
  Ms latency_duration{2000};          // each fixed-rate run
  Ms closed_loop{1000};
  std::size_t batch = 500;
  std::vector<double> rates{1000, 5000};
  std::vector<double> outbox_rates{1000};
  int outbox_writers = 16;  // concurrent transactions in the outbox throughput run
  std::string note;         // e.g. "pinned to 1 CPU", added to the rows
};

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// --- the events -------------------------------------------------------------------------

const int kKeys = 64;
const int kCapacityInflight = 64;         // senders in the capacity run
const std::uint64_t kMaxInflight = 1000;  // an open-loop run stops past this backlog

// A realistic order.placed event (about 600 bytes serialized); `run` tells the measurement
// it belongs to and `t` (steady clock, ns) when it was meant to be sent (0: not timed).
broker::Event order_event(std::int64_t run, std::int64_t seq, std::int64_t t) {
  json::object data;
  data["run"] = run;
  data["seq"] = seq;
  data["t"] = t;
  data["order_id"] = "ord-" + std::to_string(100000 + seq);
  data["customer_id"] = "cus-" + std::to_string(seq % 977);
  json::array items;
  for (int i = 0; i < 3; ++i) {
    json::object it;
    it["sku"] = "SKU-" + std::to_string((seq * 7 + i) % 10000);
    it["qty"] = 1 + i;
    it["price_cents"] = 1299 + 100 * i;
    items.push_back(std::move(it));
  }
  data["items"] = std::move(items);
  data["total_cents"] = 1299 + 2 * 1399 + 3 * 1499;
  data["currency"] = "EUR";
  return broker::make_event("order.placed", "/micromax/bench", std::move(data),
                            "ord-" + std::to_string(100000 + seq));
}

std::string key_of(std::int64_t seq) { return "ord-" + std::to_string(seq % kKeys); }

// Serialized events, reused round-robin by the throughput runs: the numbers then measure
// the broker, not event creation (measured once on its own, see the N rows).
std::vector<broker::OutgoingMessage> payload_pool(const std::string& topic, std::int64_t run,
                                                  std::size_t n) {
  std::vector<broker::OutgoingMessage> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto seq = static_cast<std::int64_t>(i);
    out.push_back(broker::to_outgoing(topic, key_of(seq), order_event(run, seq, 0)));
  }
  return out;
}

// --- what the handlers saw ------------------------------------------------------------

class Sink {
 public:
  void begin(std::int64_t run) {
    std::lock_guard lock(mu_);
    run_ = run;
    count_ = 0;
    lat_ms_.clear();
  }
  void on(const broker::Message& m) {
    const auto now = Clock::now();
    const auto* o = m.event.data.if_object();
    if (!o) return;
    const auto* r = o->if_contains("run");
    const auto* t = o->if_contains("t");
    if (!r || !t) return;
    std::lock_guard lock(mu_);
    if (r->as_int64() == run_) {
      ++count_;
      last_ = now;
      if (t->as_int64() > 0)
        lat_ms_.push_back(static_cast<double>(now.time_since_epoch().count() - t->as_int64()) /
                          1e6);
    }
    cv_.notify_all();
  }
  // Waits until `n` events of the current run arrived; false after `limit`.
  bool wait_for(std::uint64_t n, Clock::duration limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return count_ >= n; });
  }
  std::uint64_t count() {
    std::lock_guard lock(mu_);
    return count_;
  }
  Clock::time_point last() {
    std::lock_guard lock(mu_);
    return last_;
  }
  std::vector<double> latencies() {
    std::lock_guard lock(mu_);
    return lat_ms_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::int64_t run_ = -1;
  std::uint64_t count_ = 0;
  Clock::time_point last_{};
  std::vector<double> lat_ms_;
};

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};
Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
  };
  p.p50 = at(0.5);
  p.p99 = at(0.99);
  p.max = v.back();
  return p;
}

// --- an io thread -----------------------------------------------------------------------

class Loop {
 public:
  Loop() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~Loop() { stop(); }
  asio::io_context& io() { return io_; }
  // Runs until cancel() or cancel_all(); `done` is set when it has finished.
  asio::cancellation_signal* spawn(asio::awaitable<void> aw,
                                   std::shared_ptr<std::atomic<bool>> done) {
    auto& sig = signals_.emplace_back();
    asio::co_spawn(
        io_, std::move(aw),
        asio::bind_cancellation_slot(sig.slot(), [done](std::exception_ptr) { *done = true; }));
    return &sig;
  }
  void cancel(asio::cancellation_signal* sig) {
    asio::post(io_, [sig] { sig->emit(asio::cancellation_type::terminal); });
  }
  template <class T>
  T run(asio::awaitable<T> aw) {
    return asio::co_spawn(io_, std::move(aw), asio::use_future).get();
  }
  void cancel_all() {
    asio::post(io_, [this] {
      for (auto& s : signals_) s.emit(asio::cancellation_type::terminal);
    });
  }
  void stop() {
    if (!thread_.joinable()) return;
    cancel_all();
    guard_.reset();
    thread_.join();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::list<asio::cancellation_signal> signals_;
  std::thread thread_;
};

void wait_done(const std::shared_ptr<std::atomic<bool>>& done, Clock::duration limit) {
  for (auto until = Clock::now() + limit; !*done && Clock::now() < until;)
    std::this_thread::sleep_for(5ms);
}

// --- rows ---------------------------------------------------------------------------------

void throughput_row(const std::string& backend, const std::string& path, double publish_rate,
                    double e2e_rate, const std::string& baseline, double baseline_rate,
                    const std::string& note) {
  std::string ratio_pub = "n/a", ratio_e2e = "n/a", base = "n/a";
  if (baseline_rate > 0) {
    base = fmt("%.0f", baseline_rate);
    ratio_pub = fmt("%.2f", publish_rate / baseline_rate);
    ratio_e2e = fmt("%.2f", e2e_rate / baseline_rate);
  }
  std::printf("T| %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s |\n", backend.c_str(),
              path.c_str(), publish_rate, e2e_rate, baseline.c_str(), base.c_str(),
              ratio_pub.c_str(), ratio_e2e.c_str(), note.c_str());
  std::fflush(stdout);
}

void latency_row(const std::string& backend, const std::string& path, const std::string& rate,
                 std::uint64_t sent, std::uint64_t received, std::uint64_t errors,
                 const Percentiles& p, const std::string& note) {
  std::printf("L| %s | %s | %s | %llu | %llu | %llu | %.2f | %.2f | %.2f | %s |\n", backend.c_str(),
              path.c_str(), rate.c_str(), static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(received), static_cast<unsigned long long>(errors),
              p.p50, p.p99, p.max, note.c_str());
  std::fflush(stdout);
}

void progress(const std::string& what) {
  std::fprintf(stderr, "[broker_bench] %s\n", what.c_str());
}

// --- generic measurements ---------------------------------------------------------------

// Something that sends one timed event (broker.publish, or an outbox transaction).
using SendOne =
    std::function<asio::awaitable<void>(std::int64_t run, std::int64_t seq, std::int64_t t)>;

// Sends single events until the consumer has seen one: the subscription is in place.
void warm_up(Loop& loop, Sink& sink, const SendOne& send, const std::string& what) {
  sink.begin(0);
  auto until = Clock::now() + 60s;
  for (std::int64_t seq = 0; Clock::now() < until; ++seq) {
    loop.run(send(0, seq, 0));
    if (sink.wait_for(1, 100ms)) return;
  }
  throw std::runtime_error(what + ": the consumer saw nothing within 60 s");
}

struct ClosedLoop {
  double rate = 0;
  Percentiles round_trip;  // ms per awaited send
};

// `inflight` senders, each sending one event after another and awaiting each.
ClosedLoop closed_loop(Loop& loop, Sink& sink, const SendOne& send, std::int64_t run, Ms duration,
                       int inflight) {
  sink.begin(run);
  std::vector<double> rt;
  std::uint64_t sent = 0;
  const auto t0 = Clock::now(), until = t0 + duration;
  auto last = t0;
  auto sender = [&](int k) -> asio::awaitable<void> {
    auto t = Clock::now();
    for (std::int64_t seq = k * 1000000; t < until; ++seq) {
      co_await send(run, seq, 0);
      auto t2 = Clock::now();
      rt.push_back(seconds(t2 - t) * 1e3);  // io thread only: no lock needed
      ++sent;
      last = std::max(last, t2);
      t = t2;
    }
  };
  std::vector<std::future<void>> senders;
  for (int k = 0; k < inflight; ++k)
    senders.push_back(asio::co_spawn(loop.io(), sender(k), asio::use_future));
  for (auto& f : senders) f.get();
  ClosedLoop out;
  out.rate = static_cast<double>(sent) / seconds(last - t0);
  out.round_trip = percentiles(std::move(rt));
  sink.wait_for(sent, 30s);
  return out;
}

struct Counters {
  std::atomic<std::uint64_t> ok{0}, errors{0};
};

// A free function, not a lambda: the coroutine outlives the loop iteration that starts it.
asio::awaitable<void> send_counted(const SendOne& send, std::shared_ptr<Counters> c,
                                   std::int64_t run, std::int64_t seq, std::int64_t t) {
  try {
    co_await send(run, seq, t);
    ++c->ok;
  } catch (const std::exception& e) {
    if (c->errors++ == 0) progress(std::string("send failed: ") + e.what());
  }
}

struct OpenLoop {
  std::uint64_t sent = 0, errors = 0, received = 0;
  Percentiles latency;
  bool complete = false;
  bool saturated = false;
};

// Starts a send every 1/rate s for `duration`, not waiting for the previous ones.
OpenLoop open_loop(Loop& loop, Sink& sink, const SendOne& send, std::int64_t run, double rate,
                   Ms duration) {
  sink.begin(run);
  auto counters = std::make_shared<Counters>();
  bool saturated = false;
  auto co = [&]() -> asio::awaitable<std::uint64_t> {
    asio::steady_timer timer(loop.io());
    const auto interval =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
    const auto t0 = Clock::now() + 10ms, until = t0 + duration;
    std::uint64_t n = 0;
    for (auto at = t0; at < until; at += interval) {
      if (n - counters->ok - counters->errors > kMaxInflight) {
        saturated = true;
        break;
      }
      timer.expires_at(at);
      co_await timer.async_wait(asio::use_awaitable);
      const std::int64_t t = at.time_since_epoch().count();
      asio::co_spawn(loop.io(), send_counted(send, counters, run, static_cast<std::int64_t>(n), t),
                     asio::detached);
      ++n;
    }
    co_return n;
  };
  OpenLoop out;
  out.sent = loop.run(co());
  out.saturated = saturated;
  // Wait for the sends still in flight, then for their deliveries.
  for (auto until = Clock::now() + 30s;
       counters->ok + counters->errors < out.sent && Clock::now() < until;)
    std::this_thread::sleep_for(5ms);
  out.errors = counters->errors;
  out.complete = sink.wait_for(counters->ok, 30s);
  out.received = sink.count();
  out.latency = percentiles(sink.latencies());
  return out;
}

struct Median {
  double value = 0;
  std::string range;  // "min-max"
};
Median median(std::vector<double> v) {
  Median m;
  if (v.empty()) return m;
  std::sort(v.begin(), v.end());
  m.value = v[v.size() / 2];
  m.range = fmt("%.0f", v.front()) + "-" + fmt("%.0f", v.back());
  return m;
}

struct RateResult {
  double rate = 0;
  OpenLoop result;
};

// Closed-loop rows (1 and kCapacityInflight in flight), then one open-loop run per rate.
std::vector<RateResult> run_latencies(Loop& loop, Sink& sink, const SendOne& send,
                                      const std::string& backend, const std::string& path,
                                      const std::vector<double>& rates, Ms closed, Ms open,
                                      std::int64_t& run, const std::string& note,
                                      double single_baseline = 0) {
  const std::string more = note.empty() ? std::string() : "; " + note;
  progress(backend + " " + path + ": closed loop");
  auto one = closed_loop(loop, sink, send, ++run, closed, 1);
  std::string single_note;
  if (single_baseline > 0)
    single_note =
        "; redis-benchmark XADD -c 1 -P 1 (no pipelining): " + fmt("%.0f", single_baseline) +
        "/s, ours/native " + fmt("%.2f", one.rate / single_baseline);
  latency_row(backend, path, "1 in flight: " + fmt("%.0f", one.rate) + "/s", 0, 0, 0,
              one.round_trip,
              "closed loop; latency = send round trip, not to the handler" + single_note + more);
  auto cap = closed_loop(loop, sink, send, ++run, closed, kCapacityInflight);
  latency_row(backend, path,
              std::to_string(kCapacityInflight) + " in flight: " + fmt("%.0f", cap.rate) + "/s", 0,
              0, 0, cap.round_trip,
              "closed loop: the capacity for single sends; latency = send round trip" + more);
  std::vector<RateResult> out;
  for (double rate : rates) {
    progress(backend + " " + path + ": " + fmt("%.0f", rate) + "/s");
    auto ol = open_loop(loop, sink, send, ++run, rate, open);
    std::string flags;
    if (ol.saturated)
      flags += "SATURATED: more than " + std::to_string(kMaxInflight) +
               " sends in flight, stopped after " + std::to_string(ol.sent) + " sends; ";
    if (!ol.complete) flags += "INCOMPLETE; ";
    latency_row(backend, path, fmt("%.0f/s", rate), ol.sent, ol.received, ol.errors, ol.latency,
                flags + note);
    out.push_back({rate, ol});
  }
  return out;
}

// --- the broker backends ----------------------------------------------------------------

// Publishes batches from `pool` for cfg.duration (or cfg.max_events); when `sink` is given,
// never more than `window` events ahead of what its handler has seen. Returns (events, time).
asio::awaitable<std::pair<std::uint64_t, Clock::duration>> publish_batches(
    const Settings& cfg, broker::Broker& b, const std::vector<broker::OutgoingMessage>& pool,
    Sink* sink, std::uint64_t window) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  const auto t0 = Clock::now(), until = t0 + cfg.duration;
  std::uint64_t n = 0;
  std::size_t at = 0;
  while (Clock::now() < until && n < cfg.max_events) {
    while (sink && n > sink->count() + window) {
      pause.expires_after(200us);
      co_await pause.async_wait(asio::use_awaitable);
    }
    std::vector<broker::OutgoingMessage> batch(
        pool.begin() + static_cast<std::ptrdiff_t>(at),
        pool.begin() + static_cast<std::ptrdiff_t>(at + cfg.batch));
    at = (at + cfg.batch) % pool.size();
    co_await b.publish_batch(std::move(batch));
    n += cfg.batch;
  }
  co_return std::pair{n, Clock::now() - t0};
}

// The baseline: a function measured once per round next to ours, or a fixed figure
// measured before (redis-benchmark), or none (nullptr and 0).
void bench_backend(const Settings& cfg, const std::string& label, const std::string& url,
                   const std::string& baseline, const std::function<double()>& baseline_fn,
                   double fixed_baseline = 0, double single_baseline = 0) {
  progress(label + ": start");
  mmx::metrics::Registry registry;
  broker::BrokerOptions bo;
  bo.name = "bench";
  auto b = std::make_unique<broker::Broker>(broker::make_backend(url), bo, &registry);
  Sink sink, pub_sink;
  std::mt19937_64 rng{std::random_device{}()};
  const std::string suffix = std::to_string(rng() % 1000000);
  const std::string topic = "bench.orders." + suffix, group = "bench-" + suffix;
  const std::string pub_topic = "bench.publish." + suffix, pub_group = "bench-publish-" + suffix;
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto pub_done = std::make_shared<std::atomic<bool>>(false);
  // Declared before the loop, so that sends still in flight find them until it is joined.
  SendOne publish_one = [&](std::int64_t run, std::int64_t seq,
                            std::int64_t t) -> asio::awaitable<void> {
    co_await b->publish(topic, key_of(seq), order_event(run, seq, t));
  };
  SendOne publish_pub = [&](std::int64_t run, std::int64_t seq,
                            std::int64_t t) -> asio::awaitable<void> {
    co_await b->publish(pub_topic, key_of(seq), order_event(run, seq, t));
  };
  auto handler_for = [](Sink& into) {
    return [&into](const broker::Message& m) -> asio::awaitable<void> {
      into.on(m);
      co_return;
    };
  };
  {
    Loop loop;
    auto* consumer = loop.spawn(b->consume(group, {topic}, handler_for(sink)), done);
    warm_up(loop, sink, publish_one, label);

    // 1. Latency of single publishes, on a log that has not taken a bulk load yet.
    std::int64_t run = 1;
    auto rates =
        run_latencies(loop, sink, publish_one, label, "publish() -> handler", cfg.rates,
                      cfg.closed_loop, cfg.latency_duration, run, cfg.note, single_baseline);

    // 2. End to end: publish_batch back to back, held within `window` of the consumer.
    const std::uint64_t window = cfg.batch * 20;
    progress(label + ": end to end");
    std::vector<double> e2e_rates;
    bool all = true;
    for (int round = 1; round <= cfg.rounds; ++round) {
      const std::int64_t r = 100 + round;
      auto pool = payload_pool(topic, r, cfg.batch * 4);
      sink.begin(r);
      const auto t0 = Clock::now();
      auto [published, took] = loop.run(publish_batches(cfg, *b, pool, &sink, window));
      all = sink.wait_for(published, 60s) && all;
      e2e_rates.push_back(static_cast<double>(sink.count()) / seconds(sink.last() - t0));
      progress(label + ": end to end, round " + std::to_string(round) + ": " +
               fmt("%.0f", e2e_rates.back()) + "/s");
    }
    loop.cancel(consumer);
    wait_done(done, 10s);

    // 3. Publish only (what the native tools measure): a topic whose consumer group exists
    // (so RabbitMQ has its queue) but whose consumer has stopped; baseline and ours alternate.
    auto* pub_consumer =
        loop.spawn(b->consume(pub_group, {pub_topic}, handler_for(pub_sink)), pub_done);
    warm_up(loop, pub_sink, publish_pub, label + " (publish-only topic)");
    loop.cancel(pub_consumer);
    wait_done(pub_done, 10s);
    progress(label + ": publish only");
    std::vector<double> pub_rates, base_rates;
    auto pool = payload_pool(pub_topic, 1, cfg.batch * 4);
    for (int round = 1; round <= cfg.rounds; ++round) {
      if (baseline_fn) base_rates.push_back(baseline_fn());
      auto [published, took] = loop.run(publish_batches(cfg, *b, pool, nullptr, 0));
      pub_rates.push_back(static_cast<double>(published) / seconds(took));
      progress(label + ": publish only, round " + std::to_string(round) + ": " +
               fmt("%.0f", pub_rates.back()) + "/s" +
               (base_rates.empty() ? "" : ", baseline " + fmt("%.0f", base_rates.back()) + "/s"));
    }

    const Median pub = median(pub_rates), e2e_m = median(e2e_rates), base = median(base_rates);
    const double baseline_rate = baseline_fn ? base.value : fixed_baseline;
    std::string note = std::to_string(cfg.rounds) + " rounds, medians; publish " + pub.range +
                       ", end to end " + e2e_m.range +
                       (baseline_fn ? ", baseline " + base.range : "");
    if (!all) note = "INCOMPLETE: the consumer missed events; " + note;
    if (!cfg.note.empty()) note += "; " + cfg.note;
    throughput_row(label, "publish_batch(" + std::to_string(cfg.batch) + ")", pub.value,
                   e2e_m.value, baseline, baseline_rate, note);
    if (label == "SQLite log") {  // the embedded default's targets
      const std::string where = cfg.note.empty() ? std::string() : " (" + cfg.note + ")";
      std::printf("G| SQLite log: end-to-end events/s with batching >= 50000%s | %.0f | %s |\n",
                  where.c_str(), e2e_m.value, all && e2e_m.value >= 50000 ? "PASS" : "MISS");
      for (const auto& r : rates) {
        if (r.rate != 5000) continue;
        const bool ok = r.result.complete && !r.result.saturated && r.result.errors == 0 &&
                        r.result.latency.p99 < 10.0;
        std::printf(
            "G| SQLite log: p99 publish -> handler < 10 ms at 5000 events/s%s | %s | %s |\n",
            where.c_str(),
            r.result.saturated ? "saturated" : fmt("%.2f ms", r.result.latency.p99).c_str(),
            ok ? "PASS" : "MISS");
      }
    }
  }
  b.reset();
}

// --- baselines ----------------------------------------------------------------------------

// Raw sqlite3: the same payloads, the same batch size, one transaction per batch, a
// prepared INSERT reused, into a table shaped like the log's (with its offset index).
double raw_sqlite_rate(const Settings& cfg, const std::string& path) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(path.c_str(), &h,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    throw std::runtime_error("raw sqlite: cannot open " + path);
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(h, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("raw sqlite: " + msg);
    }
  };
  exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS messages(seq INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL,"
      " part INTEGER NOT NULL, off INTEGER NOT NULL, key BLOB NOT NULL, payload BLOB NOT NULL,"
      " published_at INTEGER NOT NULL);"
      "CREATE UNIQUE INDEX IF NOT EXISTS messages_by_offset ON messages(topic_id, part, off)");
  sqlite3_stmt *ins = nullptr, *begin = nullptr, *commit = nullptr;
  sqlite3_prepare_v3(h,
                     "INSERT INTO messages(topic_id, part, off, key, payload, published_at) "
                     "VALUES(?, ?, ?, ?, ?, ?)",
                     -1, SQLITE_PREPARE_PERSISTENT, &ins, nullptr);
  static int calls = 0;
  const int topic_id = ++calls;  // each round its own topic: offsets start at 0 again
  sqlite3_prepare_v3(h, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &begin, nullptr);
  sqlite3_prepare_v3(h, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &commit, nullptr);
  auto pool = payload_pool("bench.raw", 1, cfg.batch * 4);
  std::vector<std::int64_t> next(8, 0);
  auto step = [&](sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE)
      throw std::runtime_error(std::string("raw sqlite: ") + sqlite3_errmsg(h));
    sqlite3_reset(s);
  };
  const auto t0 = Clock::now(), until = t0 + cfg.duration;
  std::uint64_t n = 0;
  std::size_t at = 0;
  while (Clock::now() < until && n < cfg.max_events) {
    step(begin);
    const std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    for (std::size_t i = 0; i < cfg.batch; ++i) {
      const auto& m = pool[(at + i) % pool.size()];
      const int part = static_cast<int>(std::hash<std::string>{}(m.key) % 8);
      sqlite3_bind_int(ins, 1, topic_id);
      sqlite3_bind_int(ins, 2, part);
      sqlite3_bind_int64(ins, 3, next[static_cast<std::size_t>(part)]++);
      sqlite3_bind_blob(ins, 4, m.key.data(), static_cast<int>(m.key.size()), SQLITE_STATIC);
      sqlite3_bind_blob(ins, 5, m.payload.data(), static_cast<int>(m.payload.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(ins, 6, now_us);
      step(ins);
    }
    step(commit);
    at = (at + cfg.batch) % pool.size();
    n += cfg.batch;
  }
  const double rate = static_cast<double>(n) / seconds(Clock::now() - t0);
  for (auto* s : {ins, begin, commit}) sqlite3_finalize(s);
  sqlite3_close_v2(h);
  return rate;
}

struct KafkaMock {
  rd_kafka_t* host = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstraps;
  KafkaMock() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!host) throw std::runtime_error(std::string("kafka mock: ") + err);
    cluster = rd_kafka_mock_cluster_new(host, 3);
    if (!cluster) throw std::runtime_error("kafka mock: cannot create the cluster");
    bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  }
  ~KafkaMock() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(host);
  }
};

// A raw librdkafka producer with our backend's settings (idempotent, acks=all, linger 5 ms):
// produce a batch, flush until every delivery report is in, next batch.
double raw_kafka_rate(const Settings& cfg, KafkaMock& mock) {
  const std::string topic = "bench.raw";
  rd_kafka_mock_topic_create(mock.cluster, topic.c_str(), 6, 3);
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const char* k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw std::runtime_error(std::string("raw kafka: ") + err);
  };
  set("bootstrap.servers", mock.bootstraps);
  set("enable.idempotence", "true");
  set("acks", "all");
  set("linger.ms", "5");
  set("log_level", "3");
  set("partitioner", "murmur2_random");
  static std::atomic<std::uint64_t> failed{0}, delivered{0};
  failed = 0;
  delivered = 0;
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    if (m->err)
      ++failed;
    else
      ++delivered;
  });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("raw kafka: ") + err);
  auto pool = payload_pool(topic, 1, cfg.batch * 4);
  auto produce_batch = [&](std::size_t at) {
    for (std::size_t i = 0; i < cfg.batch; ++i) {
      const auto& m = pool[(at + i) % pool.size()];
      rd_kafka_resp_err_t e;
      while ((e = rd_kafka_producev(
                  rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(m.key.data(), m.key.size()),
                  RD_KAFKA_V_VALUE(const_cast<char*>(m.payload.data()), m.payload.size()),
                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
             RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 1);
      if (e) throw std::runtime_error(std::string("raw kafka: ") + rd_kafka_err2str(e));
    }
    rd_kafka_flush(rk, 10000);
  };
  produce_batch(0);  // metadata, producer id
  const auto t0 = Clock::now(), until = t0 + cfg.duration;
  std::uint64_t n = 0;
  std::size_t at = 0;
  while (Clock::now() < until && n < cfg.max_events) {
    produce_batch(at);
    at = (at + cfg.batch) % pool.size();
    n += cfg.batch;
  }
  const double rate = static_cast<double>(n) / seconds(Clock::now() - t0);
  if (delivered != n + cfg.batch)
    throw std::runtime_error("raw kafka: " + std::to_string(delivered.load()) + " delivered of " +
                             std::to_string(n + cfg.batch));
  rd_kafka_destroy(rk);
  if (failed)
    throw std::runtime_error("raw kafka: " + std::to_string(failed.load()) + " failed deliveries");
  return rate;
}

// --- the outbox -----------------------------------------------------------------------------

void bench_outbox(const Settings& cfg, const std::string& label, const std::string& db_url,
                  const std::string& log_url) {
  progress("outbox " + label + ": start");
  mmx::metrics::Registry registry;
  mmx::exec::WorkerPool workers(2, 1024);
  db::DatabaseOptions dopts;
  dopts.name = "bench";
  dopts.url = db::parse_database_url(db_url);
  auto database = db::Database::open(dopts, workers, &registry);
  database->connect();
  broker::BrokerOptions bo;
  bo.name = "bench";
  auto b = std::make_unique<broker::Broker>(broker::make_backend(log_url), bo, &registry);
  broker::OutboxOptions oo;
  oo.name = "bench";
  auto outbox = std::make_unique<broker::Outbox>(database, *b, oo, &registry);
  outbox->ensure_schema();
  const bool sqlite = dopts.url.dialect == db::Dialect::sqlite;
  std::mt19937_64 rng{std::random_device{}()};
  const std::string suffix = std::to_string(rng() % 1000000);
  const std::string topic = "bench.outbox." + suffix, group = "bench-outbox-" + suffix;
  Sink sink;
  auto consumer_done = std::make_shared<std::atomic<bool>>(false);
  auto relay_done = std::make_shared<std::atomic<bool>>(false);
  // One transaction: the state change, then its event, committed together.
  SendOne place_order = [&](std::int64_t run, std::int64_t seq,
                            std::int64_t t) -> asio::awaitable<void> {
    co_await database->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
      co_await tx.execute("INSERT INTO bench_orders (status, total_cents) VALUES ($1, $2)",
                          "placed", std::int64_t{1299 + 2 * 1399 + 3 * 1499});
      co_await outbox->add(tx, topic, key_of(seq), order_event(run, seq, t));
    });
  };
  {
    Loop loop;
    loop.run([&]() -> asio::awaitable<void> {
      co_await database->execute(
          sqlite ? "CREATE TABLE IF NOT EXISTS bench_orders (id INTEGER PRIMARY KEY,"
                   " status TEXT NOT NULL, total_cents INTEGER NOT NULL)"
                 : "CREATE TABLE IF NOT EXISTS bench_orders (id BIGINT GENERATED ALWAYS"
                   " AS IDENTITY PRIMARY KEY, status TEXT NOT NULL,"
                   " total_cents BIGINT NOT NULL)");
    }());
    loop.spawn(outbox->run_relay(), relay_done);
    loop.spawn(b->consume(group, {topic},
                          [&](const broker::Message& m) -> asio::awaitable<void> {
                            sink.on(m);
                            co_return;
                          }),
               consumer_done);
    warm_up(loop, sink, place_order, "outbox " + label);

    // Latency first, then throughput: outbox_writers coroutines committing back to back.
    std::int64_t run = 1;
    run_latencies(loop, sink, place_order, "outbox on " + label, "commit -> relay -> handler",
                  cfg.outbox_rates, cfg.closed_loop, cfg.latency_duration, run, "");
    progress("outbox " + label + ": throughput");
    run = 100;
    sink.begin(run);
    const auto t0 = Clock::now();
    auto committed = std::make_shared<std::atomic<std::uint64_t>>(0);
    auto writer = [&, committed](int w) -> asio::awaitable<void> {
      const auto until = t0 + cfg.duration;
      for (std::int64_t i = 0; Clock::now() < until; ++i) {
        co_await place_order(run, w * 1000000 + i, 0);
        ++*committed;
      }
    };
    std::vector<std::future<void>> writers;
    for (int w = 0; w < cfg.outbox_writers; ++w)
      writers.push_back(asio::co_spawn(loop.io(), writer(w), asio::use_future));
    for (auto& f : writers) f.get();
    const auto commit_time = Clock::now() - t0;
    const bool all = sink.wait_for(*committed, 60s);
    const double e2e = static_cast<double>(sink.count()) / seconds(sink.last() - t0);
    throughput_row("outbox on " + label,
                   "tx (row + outbox.add) x" + std::to_string(cfg.outbox_writers) +
                       " -> relay -> SQLite log -> consume",
                   static_cast<double>(*committed) / seconds(commit_time), e2e, "n/a", 0,
                   (all ? std::string("publish column = commits/s; ") + std::to_string(*committed) +
                              " transactions in " + fmt("%.1f", seconds(commit_time)) + " s"
                        : "INCOMPLETE: consumer saw " + std::to_string(sink.count())));
    loop.cancel_all();
    wait_done(consumer_done, 10s);
    wait_done(relay_done, 10s);
    if (!sqlite) {
      loop.run([&]() -> asio::awaitable<void> {
        co_await database->execute("DROP SCHEMA " + dopts.url.schema + " CASCADE");
      }());
    }
  }
  outbox.reset();
  b.reset();
}

// --- main ---------------------------------------------------------------------------------

std::vector<double> parse_rates(const std::string& s) {
  std::vector<double> out;
  std::size_t at = 0;
  while (at < s.size()) {
    auto comma = s.find(',', at);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(std::stod(s.substr(at, comma - at)));
    at = comma + 1;
  }
  return out;
}

int run(int argc, char** argv) {
  Settings cfg;
  bool print_payload = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--sqlite")
      cfg.sqlite_dir = value();
    else if (a == "--amqp")
      cfg.amqp_url = value();
    else if (a == "--redis")
      cfg.redis_url = value();
    else if (a == "--redis-baseline")
      cfg.redis_baseline = std::stod(value());
    else if (a == "--redis-baseline-note")
      cfg.redis_baseline_note = value();
    else if (a == "--redis-single-baseline")
      cfg.redis_single_baseline = std::stod(value());
    else if (a == "--kafka-mock")
      cfg.kafka_mock = true;
    else if (a == "--outbox-sqlite")
      cfg.outbox_sqlite_dir = value();
    else if (a == "--outbox-postgres")
      cfg.outbox_postgres_url = value();
    else if (a == "--duration-ms")
      cfg.duration = Ms(std::stoll(value()));
    else if (a == "--max-events")
      cfg.max_events = std::stoull(value());
    else if (a == "--rounds")
      cfg.rounds = std::max(1, std::stoi(value()));
    else if (a == "--latency-ms")
      cfg.latency_duration = Ms(std::stoll(value()));
    else if (a == "--closed-loop-ms")
      cfg.closed_loop = Ms(std::stoll(value()));
    else if (a == "--batch")
      cfg.batch = static_cast<std::size_t>(std::stoul(value()));
    else if (a == "--rates")
      cfg.rates = parse_rates(value());
    else if (a == "--outbox-rates")
      cfg.outbox_rates = parse_rates(value());
    else if (a == "--outbox-writers")
      cfg.outbox_writers = std::stoi(value());
    else if (a == "--note")
      cfg.note = value();
    else if (a == "--print-payload")
      print_payload = true;
    else
      throw std::runtime_error("unknown argument " + a);
  }
  mmx::log::Options lo;
  lo.level = mmx::log::Level::warn;
  lo.fd = 2;
  mmx::log::configure(lo);

  if (print_payload) {  // one event as the throughput runs send it, for redis-benchmark
    auto m = payload_pool("bench.orders", 1, 1).front();
    std::printf("%s\t%s\n", m.key.c_str(), m.payload.c_str());
    return 0;
  }
  {
    // What creating one event costs, outside every measurement below.
    const auto t0 = Clock::now();
    std::size_t bytes = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i)
      bytes += broker::to_outgoing("t", key_of(i), order_event(1, i, 1)).payload.size();
    std::printf("N| creating one event (make_event + serialize): %.2f us, %zu bytes serialized |\n",
                seconds(Clock::now() - t0) * 1e6 / n, bytes / n);
  }
  if (!cfg.sqlite_dir.empty()) {
    std::filesystem::create_directories(cfg.sqlite_dir);
    bench_backend(cfg, "SQLite log", "sqlite:" + cfg.sqlite_dir + "/log.db",
                  "raw sqlite3 INSERTs, batches of " + std::to_string(cfg.batch),
                  [&] { return raw_sqlite_rate(cfg, cfg.sqlite_dir + "/raw.db"); });
  }
  if (!cfg.redis_url.empty())
    bench_backend(cfg, "Redis Streams", cfg.redis_url,
                  cfg.redis_baseline > 0 ? "redis-benchmark XADD" + cfg.redis_baseline_note : "n/a",
                  nullptr, cfg.redis_baseline, cfg.redis_single_baseline);
  if (!cfg.amqp_url.empty())
    bench_backend(cfg, "RabbitMQ", cfg.amqp_url, "none (no Debian perf tool)", nullptr);
  if (cfg.kafka_mock) {
    KafkaMock mock;
    bench_backend(cfg, "Kafka (mock cluster)",
                  "kafka://" + mock.bootstraps + "?session_timeout_ms=4500",
                  "raw librdkafka producer, same settings, batches of " + std::to_string(cfg.batch),
                  [&] { return raw_kafka_rate(cfg, mock); });
  }
  if (!cfg.outbox_sqlite_dir.empty()) {
    std::filesystem::create_directories(cfg.outbox_sqlite_dir);
    bench_outbox(cfg, "SQLite", "sqlite:" + cfg.outbox_sqlite_dir + "/service.db",
                 "sqlite:" + cfg.outbox_sqlite_dir + "/outbox-log-sqlite.db");
  }
  if (!cfg.outbox_postgres_url.empty()) {
    const std::string url = cfg.outbox_postgres_url +
                            (cfg.outbox_postgres_url.find('?') == std::string::npos ? "?" : "&") +
                            "schema=mmx_bench_outbox";
    const std::string dir = cfg.outbox_sqlite_dir.empty() ? cfg.sqlite_dir : cfg.outbox_sqlite_dir;
    if (dir.empty())
      throw std::runtime_error("--outbox-postgres needs --outbox-sqlite or --sqlite (for the log)");
    bench_outbox(cfg, "PostgreSQL", url, "sqlite:" + dir + "/outbox-log-postgres.db");
  }
  return 0;
}

}  // namespace mmx_bench

int main(int argc, char** argv) {
  try {
    return mmx_bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "broker_bench: %s\n", e.what());
    return 1;
  }
}
