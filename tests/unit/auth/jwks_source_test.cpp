// JwksSource against a real HTTP server on loopback (the kit's own): lazy discovery and
// fetch, refresh on an unknown kid, its rate limit, one fetch for many concurrent waiters,
// failures; then the whole middleware on a server that is also its own issuer (the monolith).
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <atomic>
#include <mutex>
#include <thread>

#include "auth_test_support.hpp"
#include "mmx/auth/jwks_source.hpp"
#include "mmx/auth/middleware.hpp"
#include "mmx/auth/principal.hpp"
#include "mmx/http/client.hpp"
#include "mmx/http/observe.hpp"
#include "mmx/http/server.hpp"
#include "mmx/metrics/metrics.hpp"

using namespace mmx;
using namespace mmx::auth;
using namespace mmx::auth::test;
using http::Request;
using http::Response;
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// An issuer on loopback: discovery document and JWKS, with counters, a switchable key list,
// a failure mode and an optional delay.
class Issuer {
 public:
  Issuer() {
    pipeline.use(http::Stage::observe, http::errors_middleware());
    router.get("/.well-known/openid-configuration", [this](Request&) -> http::awaitable<Response> {
      ++discovery_hits;
      co_return Response::json(json::object{{"issuer", base()}, {"jwks_uri", base() + "/keys"}});
    });
    router.get("/keys", [this](Request&) -> http::awaitable<Response> {
      ++jwks_hits;
      if (delay.count() > 0) {
        asio::steady_timer t(co_await asio::this_coro::executor, delay);
        co_await t.async_wait(asio::use_awaitable);
      }
      if (status != 200) co_return Response::text("down", "text/plain", status);
      co_return Response::json(document());
    });
  }
  ~Issuer() {
    if (server_) server_->stop();
  }
  void start() {
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    server_ = std::make_unique<http::Server>(o, router, pipeline);
    server_->start();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  void serve(std::initializer_list<const SigningKey*> keys) {
    json::array arr;
    for (const auto* k : keys) arr.push_back(k->public_jwk());
    std::lock_guard lock(mu_);
    doc_ = json::object{{"keys", std::move(arr)}};
  }
  json::object document() {
    std::lock_guard lock(mu_);
    return doc_;
  }

  http::Router router;
  http::Pipeline pipeline;
  std::atomic<int> discovery_hits{0}, jwks_hits{0};
  std::atomic<int> status{200};
  std::chrono::milliseconds delay{0};

 private:
  std::mutex mu_;
  json::object doc_{{"keys", json::array{}}};
  std::unique_ptr<http::Server> server_;
};

// Options for a source reading `issuer`'s JWKS directly (no discovery).
JwksSourceOptions direct(const Issuer& issuer) {
  JwksSourceOptions o;
  o.jwks_url = issuer.base() + "/keys";
  return o;
}

template <class Cond>
bool wait_for(Cond cond, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::uint16_t closed_port() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();  // closed again when `a` goes
}

}  // namespace

TEST(JwksSource, LazyDiscoveryThenFetch) {
  Issuer issuer;
  issuer.serve({&key_a()});
  issuer.start();
  JwksSourceOptions o;
  o.issuer = issuer.base();
  JwksSource src(o);
  EXPECT_EQ(src.current(), nullptr);
  EXPECT_EQ(src.try_keys(), nullptr);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(issuer.discovery_hits + issuer.jwks_hits, 0);  // nothing until asked

  auto keys = run(src.keys());
  ASSERT_NE(keys, nullptr);
  EXPECT_NE(keys->find("key-a"), nullptr);
  EXPECT_EQ(issuer.discovery_hits, 1);
  EXPECT_EQ(issuer.jwks_hits, 1);
  EXPECT_EQ(src.fetches(), 1u);
  EXPECT_EQ(run(src.keys()), keys);  // cached
  EXPECT_EQ(src.try_keys(), keys);
  EXPECT_EQ(issuer.jwks_hits, 1);
}

TEST(JwksSource, RefreshOnUnknownKidIsRateLimited) {
  Issuer issuer;
  issuer.serve({&key_a()});
  issuer.start();
  JwksSourceOptions o = direct(issuer);
  o.min_refresh_interval = 1s;
  JwksSource src(o);
  auto first = run(src.keys());
  EXPECT_EQ(issuer.discovery_hits, 0);  // an explicit URL needs no discovery

  issuer.serve({&key_a(), &key_b()});
  // Too soon after the first fetch: the set stays, nothing is fetched.
  auto same = run(src.refresh_for_unknown_kid(first));
  EXPECT_EQ(same, first);
  EXPECT_EQ(issuer.jwks_hits, 1);

  std::this_thread::sleep_for(1050ms);
  auto fresh = run(src.refresh_for_unknown_kid(first));
  EXPECT_NE(fresh, first);
  EXPECT_NE(fresh->find("key-b"), nullptr);
  EXPECT_EQ(issuer.jwks_hits, 2);
  // A caller holding the old set gets the newer one without a fetch.
  EXPECT_EQ(run(src.refresh_for_unknown_kid(first)), fresh);
  // Random kids in a burst: still at most one fetch per interval.
  for (int i = 0; i < 20; ++i) run(src.refresh_for_unknown_kid(fresh));
  EXPECT_EQ(issuer.jwks_hits, 2);
}

TEST(JwksSource, ConcurrentWaitersShareOneFetch) {
  Issuer issuer;
  issuer.serve({&key_a()});
  issuer.delay = 200ms;
  issuer.start();
  JwksSource src(direct(issuer));

  // 24 requests on two "io threads" all needing the keys at once.
  asio::io_context a, b;
  std::atomic<int> got{0};
  for (int i = 0; i < 24; ++i) {
    asio::co_spawn(i % 2 ? a : b, [&]() -> asio::awaitable<void> {
      auto k = co_await src.keys();
      if (k && k->find("key-a")) ++got;
    }, asio::detached);
  }
  std::thread ta([&] { a.run(); }), tb([&] { b.run(); });
  ta.join();
  tb.join();
  EXPECT_EQ(got.load(), 24);
  EXPECT_EQ(issuer.jwks_hits, 1);
}

TEST(JwksSource, FailuresAreErrorsNotCrashes) {
  {
    JwksSourceOptions o;
    o.jwks_url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/keys";
    o.failure_backoff = 500ms;
    o.client.connect_timeout = 500ms;
    JwksSource src(o);
    try {
      run(src.keys());
      FAIL();
    } catch (const JwksUnavailable& e) {
      EXPECT_GE(e.retry_after_seconds(), 1);
    }
    EXPECT_EQ(src.fetches(), 1u);
    // Within the backoff: refused at once, no new attempt.
    EXPECT_THROW(run(src.keys()), JwksUnavailable);
    EXPECT_EQ(src.fetches(), 1u);
    std::this_thread::sleep_for(550ms);
    EXPECT_THROW(run(src.keys()), JwksUnavailable);
    EXPECT_EQ(src.fetches(), 2u);
  }
  Issuer issuer;
  issuer.start();  // serves a JWKS without usable keys
  JwksSourceOptions o;
  o.issuer = issuer.base();
  o.failure_backoff = 0ms;
  metrics::Registry reg;
  JwksSource src(o, &reg);
  EXPECT_THROW(run(src.keys()), JwksUnavailable);
  issuer.status = 500;
  issuer.serve({&key_a()});
  EXPECT_THROW(run(src.keys()), JwksUnavailable);
  issuer.status = 200;
  auto keys = run(src.keys());
  EXPECT_NE(keys->find("key-a"), nullptr);
  EXPECT_NE(reg.render().find("auth_jwks_fetches_total{outcome=\"error\"} 2"), std::string::npos)
      << reg.render();
  EXPECT_NE(reg.render().find("auth_jwks_fetches_total{outcome=\"ok\"} 1"), std::string::npos);

  // A set in hand survives a failing refresh.
  o.min_refresh_interval = 0ms;
  issuer.status = 503;
  EXPECT_EQ(run(src.refresh_for_unknown_kid(keys)), keys);
  EXPECT_EQ(src.current(), keys);
  // No issuer and no URL at all.
  JwksSource nothing(JwksSourceOptions{});
  EXPECT_THROW(run(nothing.keys()), JwksUnavailable);
}

TEST(JwksSource, StaleSetIsRefreshedInTheBackground) {
  Issuer issuer;
  issuer.serve({&key_a()});
  issuer.start();
  JwksSourceOptions o = direct(issuer);
  o.refresh_interval = 100ms;
  o.failure_backoff = 0ms;
  JwksSource src(o);
  auto first = run(src.keys());
  issuer.serve({&key_b()});
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(src.try_keys(), first);  // served at once, refresh started behind it
  ASSERT_TRUE(wait_for([&] { return src.current() != first; }));
  EXPECT_NE(src.current()->find("key-b"), nullptr);
  EXPECT_EQ(issuer.jwks_hits, 2);
}

// The monolith: one server (one io thread) is both the issuer, serving its JWKS, and a
// service with a protected route. The first protected request waits for a fetch from the
// very server that is handling it; nothing is fetched before that request.
TEST(JwksSource, MonolithServerIsItsOwnIssuer) {
  const std::uint16_t port = closed_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  std::atomic<int> jwks_hits{0};
  http::Router router;
  http::Pipeline pipeline;
  router.get("/.well-known/openid-configuration", [&](Request&) -> http::awaitable<Response> {
    co_return Response::json(json::object{{"issuer", base}, {"jwks_uri", base + "/keys"}});
  });
  router.get("/keys", [&](Request&) -> http::awaitable<Response> {
    ++jwks_hits;
    co_return Response::json(json::object{{"keys", json::array{key_a().public_jwk()}}});
  });
  router.get("/me", [](Request& req) -> http::awaitable<Response> {
    co_return Response::text(principal(req)->subject);
  }).auth(http::AuthRequirement::authenticated());

  VerifierOptions vo;
  vo.issuer = base;
  vo.audiences = {kAudience};
  JwksSourceOptions jo;
  jo.issuer = base;
  MiddlewareOptions mo;
  mo.verifier = std::make_shared<TokenVerifier>(vo);
  mo.keys = std::make_shared<JwksSource>(jo);
  pipeline.use(http::Stage::observe, http::errors_middleware());
  pipeline.use(http::Stage::auth, make_auth_middleware(mo));
  http::ServerOptions so;
  so.port = port;
  so.threads = 1;
  http::Server server(so, router, pipeline);
  server.start();

  auto claims = user_claims();
  claims["iss"] = base;
  const std::string token = sign_jwt(claims, key_a());
  auto get = [&](std::string auth) {
    http::ClientRequest r;
    r.url = base + "/me";
    if (!auth.empty()) r.headers.emplace_back("Authorization", std::move(auth));
    asio::io_context ioc;
    http::HttpClient client(ioc.get_executor());
    auto f = asio::co_spawn(ioc, client.send(std::move(r)), asio::use_future);
    ioc.run();
    return f.get();
  };
  EXPECT_EQ(get("").status, 401);
  EXPECT_EQ(jwks_hits, 0);
  auto ok = get("Bearer " + token);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "user-42");
  EXPECT_EQ(jwks_hits, 1);
  EXPECT_EQ(get("Bearer " + token).status, 200);
  EXPECT_EQ(jwks_hits, 1);
  server.stop();
}
