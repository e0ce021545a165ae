#include "mmx/auth/jwks_source.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "mmx/log/log.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::auth {

namespace asio = boost::asio;
namespace json = boost::json;
using Steady = std::chrono::steady_clock;
using KeysPtr = std::shared_ptr<const KeySet>;

namespace {

// One fetch, awaited by every request that needed it.
struct Flight {
  std::mutex mu;
  bool done = false;
  std::exception_ptr error;
  KeysPtr result;
  std::vector<std::function<void()>> waiters;  // each resumes one awaiting coroutine
};

int seconds_until(Steady::time_point t, Steady::time_point now) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count();
  return std::max<int>(1, static_cast<int>((ms + 999) / 1000));
}

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Resumes on the awaiting coroutine's own executor once the flight lands.
asio::awaitable<KeysPtr> await_flight(std::shared_ptr<Flight> f) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, KeysPtr)>(
      [f](auto handler) {
        using H = decltype(handler);
        auto ex = asio::get_associated_executor(handler);
        struct Waiter {
          H h;
          asio::executor_work_guard<decltype(ex)> work;
        };
        auto w = std::make_shared<Waiter>(Waiter{std::move(handler), asio::make_work_guard(ex)});
        auto resume = [f, w] {
          auto exec = w->work.get_executor();
          asio::post(exec, [f, w] {
            auto h = std::move(w->h);
            w->work.reset();
            std::move(h)(f->error, f->result);
          });
        };
        std::unique_lock lock(f->mu);
        if (f->done) {
          lock.unlock();
          resume();
        } else {
          f->waiters.push_back(std::move(resume));
        }
      },
      asio::use_awaitable);
}

}  // namespace

struct JwksSource::Impl {
  explicit Impl(JwksSourceOptions o, metrics::Registry* registry)
      : options(std::move(o)), client(std::make_unique<http::HttpClient>(ioc.get_executor(), options.client)) {
    url = options.jwks_url;
    if (registry) {
      auto& f = registry->counter("auth_jwks_fetches_total",
                                  "Fetches of the issuer's JWKS document, by outcome.", {"outcome"});
      fetch_ok = &f.with({"ok"});
      fetch_error = &f.with({"error"});
      keys_gauge = &registry->gauge("auth_jwks_keys", "Verifying keys in the current JWKS.").with({});
    }
  }

  ~Impl() {
    {
      std::lock_guard lock(mu);
      work.reset();
    }
    ioc.stop();
    if (thread.joinable()) thread.join();
    client.reset();  // before the io_context its sockets belong to
  }

  // Under mu. Starts a fetch unless one is in flight; returns the flight to await.
  std::shared_ptr<Flight> start_flight_locked() {
    if (flight) return flight;
    flight = std::make_shared<Flight>();
    last_attempt = Steady::now();
    if (!thread.joinable()) {
      work.emplace(asio::make_work_guard(ioc));
      thread = std::thread([this] { ioc.run(); });
    }
    asio::co_spawn(ioc, fetch(flight), asio::detached);
    return flight;
  }

  asio::awaitable<std::string> resolve_url() {
    {
      std::lock_guard lock(mu);
      if (!url.empty()) co_return url;
    }
    if (options.issuer.empty()) {
      throw JwksUnavailable("no JWKS URL: set MMX_AUTH_JWKS_URL or MMX_AUTH_ISSUER", 30);
    }
    const std::string discovery = strip_slash(options.issuer) + "/.well-known/openid-configuration";
    http::ClientResponse resp = co_await client->get(discovery);
    if (resp.status != 200) {
      throw std::runtime_error(discovery + " answered " + std::to_string(resp.status));
    }
    boost::system::error_code ec;
    json::value doc = json::parse(resp.body, ec);
    const json::value* uri = !ec && doc.is_object() ? doc.as_object().if_contains("jwks_uri") : nullptr;
    if (!uri || !uri->is_string() || uri->as_string().empty()) {
      throw std::runtime_error(discovery + " has no jwks_uri");
    }
    std::lock_guard lock(mu);
    url = std::string(uri->as_string());
    discovered = true;
    co_return url;
  }

  // Runs on the private io thread.
  asio::awaitable<void> fetch(std::shared_ptr<Flight> f) {
    KeysPtr result;
    std::string error;
    std::string where;
    try {
      where = co_await resolve_url();
      fetches.fetch_add(1, std::memory_order_relaxed);
      http::ClientResponse resp = co_await client->get(where);
      if (resp.status != 200) {
        error = "answered HTTP " + std::to_string(resp.status);
      } else {
        auto set = std::make_shared<KeySet>(KeySet::parse(resp.body));
        for (const auto& s : set->skipped()) {
          log::debug("auth", "JWKS entry ignored", {{"url", where}, {"reason", s}});
        }
        if (set->size() == 0) {
          error = "lists no usable RS256 key";
        } else {
          result = std::move(set);
        }
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    finish(std::move(f), std::move(result), std::move(where), std::move(error));
  }

  void finish(std::shared_ptr<Flight> f, KeysPtr result, std::string where, std::string error) {
    const auto now = Steady::now();
    std::exception_ptr ep;
    {
      std::lock_guard lock(mu);
      flight.reset();
      // Rate limits and backoff count from the end of a fetch: a slow issuer is not asked
      // again the moment it answers.
      last_attempt = now;
      if (result) {
        current = result;
        fetched_at = now;
        failing = false;
        if (fetch_ok) fetch_ok->inc();
        if (keys_gauge) keys_gauge->set(static_cast<double>(result->size()));
      } else {
        failing = true;
        last_error = "JWKS " + (where.empty() ? std::string("discovery") : "at " + where) + " " + error;
        if (discovered) url.clear();  // the issuer may have moved it: discover again
        if (fetch_error) fetch_error->inc();
        ep = std::make_exception_ptr(JwksUnavailable(
            "the token issuer's keys cannot be fetched right now",
            seconds_until(now + options.failure_backoff, now)));
      }
    }
    if (ep) {
      log::warn("auth", "JWKS fetch failed", {{"error", last_error_copy()}});
    } else {
      log::info("auth", "JWKS fetched",
                {{"url", where}, {"keys", static_cast<std::int64_t>(result->size())}});
    }
    std::vector<std::function<void()>> waiters;
    {
      std::lock_guard lock(f->mu);
      f->done = true;
      f->error = ep;
      f->result = result;
      waiters.swap(f->waiters);
    }
    for (auto& w : waiters) w();
  }

  std::string last_error_copy() {
    std::lock_guard lock(mu);
    return last_error;
  }

  JwksSourceOptions options;
  asio::io_context ioc;
  std::unique_ptr<http::HttpClient> client;
  std::thread thread;

  mutable std::mutex mu;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::string url;
  bool discovered = false;
  KeysPtr current;
  Steady::time_point fetched_at{}, last_attempt{};
  bool failing = false;
  std::string last_error;
  std::shared_ptr<Flight> flight;
  std::atomic<std::uint64_t> fetches{0};

  metrics::Counter* fetch_ok = nullptr;
  metrics::Counter* fetch_error = nullptr;
  metrics::Gauge* keys_gauge = nullptr;
};

JwksSource::JwksSource(JwksSourceOptions options, metrics::Registry* metrics)
    : impl_(std::make_shared<Impl>(std::move(options), metrics)) {}

JwksSource::~JwksSource() = default;

KeysPtr JwksSource::try_keys() {
  std::lock_guard lock(impl_->mu);
  if (impl_->current) {
    // Stale: refetch in the background; this request goes on with the set we have.
    const auto now = Steady::now();
    if (!impl_->flight && now - impl_->fetched_at >= impl_->options.refresh_interval &&
        now - impl_->last_attempt >= impl_->options.failure_backoff) {
      impl_->start_flight_locked();
    }
  }
  return impl_->current;
}

asio::awaitable<KeysPtr> JwksSource::keys() {
  if (KeysPtr k = try_keys()) co_return k;
  std::shared_ptr<Flight> f;
  {
    std::lock_guard lock(impl_->mu);
    const auto now = Steady::now();
    if (impl_->current) co_return impl_->current;  // fetched meanwhile
    if (impl_->flight) {
      f = impl_->flight;
    } else if (impl_->failing && now - impl_->last_attempt < impl_->options.failure_backoff) {
      throw JwksUnavailable("the token issuer's keys cannot be fetched right now",
                            seconds_until(impl_->last_attempt + impl_->options.failure_backoff, now));
    } else {
      f = impl_->start_flight_locked();
    }
  }
  co_return co_await await_flight(std::move(f));
}

asio::awaitable<KeysPtr> JwksSource::refresh_for_unknown_kid(KeysPtr seen) {
  std::shared_ptr<Flight> f;
  KeysPtr fallback;
  {
    std::lock_guard lock(impl_->mu);
    const auto now = Steady::now();
    fallback = impl_->current;
    if (fallback && fallback != seen) co_return fallback;  // refreshed since the caller looked
    if (impl_->flight) {
      f = impl_->flight;
    } else if (now - impl_->last_attempt < impl_->options.min_refresh_interval) {
      if (fallback) co_return fallback;  // rate-limited: the token's kid stays unknown
      throw JwksUnavailable("the token issuer's keys cannot be fetched right now",
                            seconds_until(impl_->last_attempt + impl_->options.min_refresh_interval, now));
    } else {
      f = impl_->start_flight_locked();
    }
  }
  if (!fallback) co_return co_await await_flight(std::move(f));
  // With a set in hand a failed refresh is not an outage: the token just stays unknown.
  KeysPtr fresh;
  try {
    fresh = co_await await_flight(std::move(f));
  } catch (const JwksUnavailable&) {
    fresh = fallback;
  }
  co_return fresh;
}

KeysPtr JwksSource::current() const {
  std::lock_guard lock(impl_->mu);
  return impl_->current;
}

std::uint64_t JwksSource::fetches() const { return impl_->fetches.load(std::memory_order_relaxed); }

const JwksSourceOptions& JwksSource::options() const { return impl_->options; }

}  // namespace mmx::auth
