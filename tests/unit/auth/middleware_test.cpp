// The auth middleware through the kit's Router and Pipeline with in-memory requests: every
// AuthRequirement kind, API keys, the exact WWW-Authenticate headers, JWKS outages and
// refresh on an unknown kid. Also the auth settings.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "auth_test_support.hpp"
#include "mmx/auth/auth_module.hpp"
#include "mmx/auth/middleware.hpp"
#include "mmx/auth/principal.hpp"
#include "mmx/auth/settings.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/http/observe.hpp"
#include "mmx/http/router.hpp"
#include "mmx/metrics/metrics.hpp"

using namespace mmx;
using namespace mmx::auth;
using namespace mmx::auth::test;
using http::AuthRequirement;
using http::Method;
using http::Request;
using http::Response;
namespace json = boost::json;

namespace {

// Keys that can be switched, counting refreshes; or failing like an unreachable issuer.
class FakeKeys final : public KeyProvider {
 public:
  explicit FakeKeys(KeySet initial) : set_(std::make_shared<const KeySet>(std::move(initial))) {}
  std::shared_ptr<const KeySet> try_keys() override { return down ? nullptr : set_; }
  boost::asio::awaitable<std::shared_ptr<const KeySet>> keys() override {
    if (down) throw JwksUnavailable("the token issuer's keys cannot be fetched right now", 7);
    co_return set_;
  }
  boost::asio::awaitable<std::shared_ptr<const KeySet>> refresh_for_unknown_kid(
      std::shared_ptr<const KeySet>) override {
    ++refreshes;
    if (next) set_ = std::move(next);
    co_return set_;
  }
  bool down = false;
  int refreshes = 0;
  std::shared_ptr<const KeySet> next;

 private:
  std::shared_ptr<const KeySet> set_;
};

struct MiddlewareTest : ::testing::Test {
  http::Router router;
  http::Pipeline pipeline;
  metrics::Registry registry;
  std::shared_ptr<FakeKeys> keys = std::make_shared<FakeKeys>(keyset_of({&key_a()}));

  MiddlewareTest() {
    VerifierOptions vo;
    vo.issuer = kIssuer;
    vo.audiences = {kAudience};
    MiddlewareOptions mo;
    mo.verifier = std::make_shared<TokenVerifier>(vo);
    mo.keys = keys;
    mo.metrics = &registry;
    mo.api_key = [](std::string_view module) -> std::optional<std::string> {
      if (module == "backend") return "s3cret-api-key";
      if (module == "empty") return "";
      return std::nullopt;
    };
    pipeline.use(http::Stage::observe, http::errors_middleware());
    pipeline.use(http::Stage::auth, make_auth_middleware(std::move(mo)));

    auto who = [](Request& req) -> http::awaitable<Response> {
      const Principal* p = principal(req);
      co_return Response::text(p ? p->subject : std::string("anonymous"));
    };
    router.set_current_module("backend");
    router.get("/public", who);
    router.get("/me", who).auth(AuthRequirement::authenticated());
    router.get("/catalog", who).auth(AuthRequirement::optional());
    router.get("/items", who).auth(AuthRequirement::scopes({"items:read", "items:write"}));
    router.get("/staff", who).auth(AuthRequirement::roles({"staff", "admin"}));
    router.get("/private", who).auth(AuthRequirement::service({"orders:read"}));
    router.set_current_module("empty");
    router.get("/empty/private", who).auth(AuthRequirement::service({}));
    router.set_current_module("nokey");
    router.get("/nokey/private", who).auth(AuthRequirement::service({}));
  }

  Response call(const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto req = Request::make(Method::get, path, std::move(headers));
    auto m = router.match(req.method(), req.path());
    if (m.kind == http::Match::Kind::found) req.set_route(m.route, std::move(m.params));
    http::Handler dispatch = [](Request& r) -> http::awaitable<Response> {
      if (!r.route()) throw errors::not_found();
      return r.route()->handler(r);
    };
    return run(pipeline.run(req, dispatch));
  }
  Response call_bearer(const std::string& path, const std::string& token) {
    return call(path, {{"Authorization", "Bearer " + token}});
  }

  static std::string www(const Response& r) {
    const std::string* h = r.find_header("WWW-Authenticate");
    return h ? *h : "(none)";
  }
  static json::object problem(const Response& r) {
    EXPECT_EQ(r.content_type, "application/problem+json");
    return json::parse(r.body).as_object();
  }
  std::string token(json::object claims, const SigningKey& k = key_a()) { return sign_jwt(claims, k); }
  double metric(const std::string& series) {
    std::string text = "\n" + registry.render();
    auto pos = text.find("\n" + series + " ");
    return pos == std::string::npos ? 0 : std::stod(text.substr(pos + series.size() + 2));
  }
};

constexpr const char* kMissing = "Bearer realm=\"micromax\"";

}  // namespace

TEST_F(MiddlewareTest, PublicRoutesIgnoreTokens) {
  EXPECT_EQ(call("/public").body, "anonymous");
  auto r = call_bearer("/public", "garbage");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "anonymous");  // documented: no principal on public routes
  EXPECT_EQ(call("/nowhere").status, 404);
}

TEST_F(MiddlewareTest, OptionalRoutesVerifyATokenOnlyWhenOneIsSent) {
  EXPECT_EQ(call("/catalog").body, "anonymous");
  auto r = call_bearer("/catalog", token(user_claims()));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "user-42");
  // A token that is sent must be valid: a stale one is not quietly treated as anonymous.
  auto c = user_claims();
  c["exp"] = unix_now() - 3600;
  auto expired = call_bearer("/catalog", token(c));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(problem(expired).at("type"), "urn:micromax:problem:invalid-token");
  EXPECT_EQ(call_bearer("/catalog", "garbage").status, 401);
  EXPECT_EQ(call("/catalog", {{"Authorization", "Basic dXNlcjpwYXNz"}}).status, 401);
}

TEST_F(MiddlewareTest, MissingTokenIs401WithoutErrorAttribute) {
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {}, {{"Authorization", "Basic dXNlcjpwYXNz"}}, {{"Authorization", "Bearer "}},
           {{"Authorization", "Bearer"}}}) {
    auto r = call("/me", headers);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(www(r), kMissing);
    auto p = problem(r);
    EXPECT_EQ(p.at("status"), 401);
    EXPECT_EQ(p.at("detail"), "A bearer token is required.");
  }
  EXPECT_EQ(metric("auth_requests_total{outcome=\"missing\"}"), 4);
}

TEST_F(MiddlewareTest, InvalidTokensAre401InvalidToken) {
  auto c = user_claims();
  c["exp"] = unix_now() - 3600;
  auto r = call_bearer("/me", token(c));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(www(r),
            "Bearer realm=\"micromax\", error=\"invalid_token\", error_description=\"token has expired\"");
  EXPECT_EQ(problem(r).at("type"), "urn:micromax:problem:invalid-token");

  auto garbage = call_bearer("/me", "not.a.token");
  EXPECT_EQ(garbage.status, 401);
  EXPECT_EQ(www(garbage).rfind("Bearer realm=\"micromax\", error=\"invalid_token\", error_description=\"malformed token: ", 0), 0u)
      << www(garbage);
  EXPECT_EQ(garbage.body.find("not.a.token"), std::string::npos);

  c = user_claims();
  c["iss"] = "http://evil\"issuer";
  auto wrong = call_bearer("/me", token(c));
  EXPECT_EQ(www(wrong),
            "Bearer realm=\"micromax\", error=\"invalid_token\", error_description=\"token was not "
            "issued by http://127.0.0.1:8000\"");
  EXPECT_EQ(metric("auth_requests_total{outcome=\"invalid\"}"), 3);
}

TEST_F(MiddlewareTest, AuthenticatedAcceptsUsersAndServices) {
  auto r = call_bearer("/me", token(user_claims()));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "user-42");
  EXPECT_EQ(call("/me", {{"authorization", "bearer  " + token(service_claims())}}).body, "data_pipelines");
  EXPECT_EQ(metric("auth_requests_total{outcome=\"allowed\"}"), 2);
}

TEST_F(MiddlewareTest, ScopeNeedsEveryListedScope) {
  EXPECT_EQ(call_bearer("/items", token(user_claims())).status, 200);
  auto c = user_claims();
  c["scope"] = "items:read";
  auto r = call_bearer("/items", token(c));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(www(r),
            "Bearer realm=\"micromax\", error=\"insufficient_scope\", error_description=\"The token "
            "lacks the scope items:write.\", scope=\"items:read items:write\"");
  auto p = problem(r);
  EXPECT_EQ(p.at("status"), 403);
  EXPECT_EQ(p.at("type"), "urn:micromax:problem:insufficient-scope");
}

TEST_F(MiddlewareTest, RoleNeedsAnyListedRole) {
  auto r = call_bearer("/staff", token(user_claims()));  // customer
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(www(r),
            "Bearer realm=\"micromax\", error=\"insufficient_scope\", error_description=\"This route "
            "needs one of the roles: staff, admin.\"");
  for (const char* role : {"staff", "admin"}) {
    auto c = user_claims();
    c["roles"] = json::array{"customer", role};
    EXPECT_EQ(call_bearer("/staff", token(c)).status, 200) << role;
  }
}

TEST_F(MiddlewareTest, ServiceRoutesTakeClientCredentialsTokens) {
  EXPECT_EQ(call_bearer("/private", token(service_claims())).body, "data_pipelines");
  auto user = call_bearer("/private", token(user_claims()));
  EXPECT_EQ(user.status, 403);
  EXPECT_EQ(www(user),
            "Bearer realm=\"micromax\", error=\"insufficient_scope\", error_description=\"This route "
            "is for services: a client_credentials token or the service's API key.\", "
            "scope=\"orders:read\"");
  auto c = service_claims();
  c["scope"] = "items:read";
  EXPECT_EQ(call_bearer("/private", token(c)).status, 403);
  EXPECT_EQ(call("/private").status, 401);
}

TEST_F(MiddlewareTest, ServiceRoutesTakeTheModulesApiKey) {
  auto ok = call("/private", {{"X-API-Key", "s3cret-api-key"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "api-key:backend");
  EXPECT_EQ(metric("auth_requests_total{outcome=\"allowed_api_key\"}"), 1);

  for (const char* wrong : {"s3cret-api-keY", "s3cret-api-key2", "", "s3cret"}) {
    auto r = call("/private", {{"x-api-key", wrong}});
    EXPECT_EQ(r.status, 401) << wrong;
    EXPECT_EQ(www(r), kMissing);
    EXPECT_EQ(problem(r).at("detail"), "Invalid API key.");
  }
  // When X-API-Key is sent it alone decides, even next to a valid token.
  EXPECT_EQ(call("/private", {{"X-API-Key", "bad"}, {"Authorization", "Bearer " + token(service_claims())}})
                .status,
            401);
  // Modules whose key is empty or undeclared accept no API key.
  for (const char* path : {"/empty/private", "/nokey/private"}) {
    auto r = call(path, {{"X-API-Key", "s3cret-api-key"}});
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(problem(r).at("detail"), "This service accepts no API key; send a bearer token.");
  }
  // The API key is only for service routes.
  EXPECT_EQ(call("/me", {{"X-API-Key", "s3cret-api-key"}}).status, 401);
}

TEST_F(MiddlewareTest, UnknownKidRefreshesKeysOnce) {
  const std::string t = token(user_claims(), key_b());
  auto r = call_bearer("/me", t);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(www(r),
            "Bearer realm=\"micromax\", error=\"invalid_token\", error_description=\"token signed "
            "with a key the issuer does not list\"");
  EXPECT_EQ(keys->refreshes, 1);
  // The issuer rotated: the refresh brings key b in.
  keys->next = std::make_shared<const KeySet>(keyset_of({&key_a(), &key_b()}));
  EXPECT_EQ(call_bearer("/me", t).status, 200);
  EXPECT_EQ(keys->refreshes, 2);
  EXPECT_EQ(call_bearer("/me", t).status, 200);
  EXPECT_EQ(keys->refreshes, 2);
}

TEST_F(MiddlewareTest, JwksOutageIs503WithRetryAfter) {
  keys->down = true;
  auto r = call_bearer("/me", token(user_claims()));
  EXPECT_EQ(r.status, 503);
  ASSERT_NE(r.find_header("Retry-After"), nullptr);
  EXPECT_EQ(*r.find_header("Retry-After"), "7");
  EXPECT_EQ(problem(r).at("detail"),
            "Cannot verify the token: the token issuer's keys cannot be fetched right now.");
  EXPECT_EQ(metric("auth_requests_total{outcome=\"unavailable\"}"), 1);
  // Public routes do not need the issuer.
  EXPECT_EQ(call("/public").status, 200);
}

TEST(BearerToken, Parsing) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bEaReR   abc  "), "abc");
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_FALSE(bearer_token("Bearer a b"));
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("Bearerabc"));
}

namespace {

config::Config load(std::map<std::string, std::string> flags) {
  config::SettingRegistry reg;
  reg.add(config::make_setting("MMX_LISTEN", config::Kind::host_port, "127.0.0.1:8000", "", "server"));
  declare_auth_settings(reg);
  declare_auth_settings(reg);  // a second module declaring them is harmless
  declare_service_api_key(reg, "data_pipelines");
  return config::Config::load(reg, {std::move(flags), [](const char*) -> const char* { return nullptr; }, std::nullopt});
}

}  // namespace

TEST(AuthSettings, IssuerAudienceAndApiKeys) {
  EXPECT_EQ(resolve_issuer(load({})), "http://127.0.0.1:8000");
  EXPECT_EQ(resolve_issuer(load({{"MMX_LISTEN", "0.0.0.0:9000"}})), "http://127.0.0.1:9000");
  EXPECT_EQ(resolve_issuer(load({{"MMX_LISTEN", ":9000"}})), "http://127.0.0.1:9000");
  EXPECT_EQ(resolve_issuer(load({{"MMX_LISTEN", "[::]:9000"}})), "http://127.0.0.1:9000");
  EXPECT_EQ(resolve_issuer(load({{"MMX_LISTEN", "[::1]:9000"}})), "http://[::1]:9000");
  EXPECT_EQ(resolve_issuer(load({{"MMX_LISTEN", "10.0.0.5:80"}})), "http://10.0.0.5:80");
  EXPECT_EQ(resolve_issuer(load({{"MMX_AUTH_ISSUER", "https://sso.example.com/realms/shop"}})),
            "https://sso.example.com/realms/shop");
  EXPECT_EQ(resolve_audiences(load({})), (std::vector<std::string>{"micromax"}));
  EXPECT_EQ(resolve_audiences(load({{"MMX_AUTH_AUDIENCE", "micromax, backend"}})),
            (std::vector<std::string>{"micromax", "backend"}));

  auto cfg = load({{"MMX_AUTH_LEEWAY", "5s"}, {"MMX_AUTH_TOKEN_CACHE", "7"},
                   {"MMX_AUTH_JWKS_URL", "http://keycloak:8080/realms/shop/protocol/openid-connect/certs"},
                   {"MMX_AUTH_JWKS_REFRESH_MIN_INTERVAL", "1m"}});
  auto vo = verifier_options(cfg);
  EXPECT_EQ(vo.leeway, std::chrono::seconds(5));
  EXPECT_EQ(vo.cache_entries, 7u);
  EXPECT_EQ(vo.issuer, "http://127.0.0.1:8000");
  auto jo = jwks_source_options(cfg);
  EXPECT_EQ(jo.jwks_url, "http://keycloak:8080/realms/shop/protocol/openid-connect/certs");
  EXPECT_EQ(jo.min_refresh_interval, std::chrono::minutes(1));
  EXPECT_EQ(jo.refresh_interval, std::chrono::minutes(5));

  EXPECT_EQ(api_key_setting("data_pipelines"), "MMX_DATA_PIPELINES_API_KEY");
  EXPECT_EQ(api_key_setting("admin-panel"), "MMX_ADMIN_PANEL_API_KEY");
  EXPECT_EQ(load({{"MMX_DATA_PIPELINES_API_KEY", "k"}}).string("MMX_DATA_PIPELINES_API_KEY"), "k");
  EXPECT_THROW(load({{"MMX_AUTH_LEEWAY", "soon"}}), config::ConfigError);
}

namespace {

struct ModuleHarness {
  config::SettingRegistry settings;
  std::optional<config::Config> cfg;
  http::Router router;
  http::Pipeline pipeline;
  metrics::Registry metrics;
  exec::WorkerPool workers{1, 4};
  health::Registry health;
  std::vector<std::pair<std::string, module::BackgroundTask>> tasks;
  module::Module m = make_auth_verifier_module();

  void init(std::map<std::string, std::string> flags) {
    settings.add(config::make_setting("MMX_LISTEN", config::Kind::host_port, "127.0.0.1:8000", "", "server"));
    m.declare_settings(settings);
    declare_service_api_key(settings, "backend");
    cfg = config::Config::load(settings, {std::move(flags), [](const char*) -> const char* { return nullptr; }, std::nullopt});
    module::Context ctx{*cfg, router, pipeline, metrics, workers, health, "/tmp", tasks};
    m.init(ctx);
  }
};

}  // namespace

TEST(VerifierModule, InstallsTheMiddlewareWithApiKeysFromSettings) {
  ModuleHarness h;
  EXPECT_EQ(h.m.name, "auth_verifier");
  EXPECT_FALSE(h.m.is_target);
  h.init({{"MMX_BACKEND_API_KEY", "k-123"}});
  h.router.set_current_module("backend");
  auto who = [](Request& req) -> http::awaitable<Response> {
    co_return Response::text(principal(req)->subject);
  };
  h.router.get("/private", who).auth(AuthRequirement::service({}));
  h.pipeline.use(http::Stage::observe, http::errors_middleware());
  auto call = [&](std::vector<std::pair<std::string, std::string>> headers) {
    auto req = Request::make(Method::get, "/private", std::move(headers));
    auto match = h.router.match(req.method(), req.path());
    req.set_route(match.route, std::move(match.params));
    http::Handler dispatch = [](Request& r) { return r.route()->handler(r); };
    return run(h.pipeline.run(req, dispatch));
  };
  EXPECT_EQ(call({}).status, 401);
  EXPECT_EQ(call({{"X-API-Key", "k-123"}}).body, "api-key:backend");
  EXPECT_EQ(call({{"X-API-Key", "k-124"}}).status, 401);
  EXPECT_NE(h.metrics.render().find("auth_requests_total{outcome=\"allowed_api_key\"} 1"),
            std::string::npos);
  EXPECT_TRUE(h.tasks.empty());  // no background work, no fetch at start
}

TEST(VerifierModule, RefusesAnIssuerItCannotReach) {
  ModuleHarness h;
  try {
    h.init({{"MMX_AUTH_ISSUER", "https://sso.example.com/realms/shop"}});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("MMX_AUTH_JWKS_URL"), std::string::npos) << e.what();
  }
  ModuleHarness h2;
  EXPECT_THROW(h2.init({{"MMX_AUTH_JWKS_URL", "https://sso.example.com/certs"}}), std::runtime_error);
  ModuleHarness h3;
  EXPECT_NO_THROW(h3.init({{"MMX_AUTH_ISSUER", "https://sso.example.com/realms/shop"},
                           {"MMX_AUTH_JWKS_URL", "http://keycloak:8080/realms/shop/protocol/openid-connect/certs"}}));
}
