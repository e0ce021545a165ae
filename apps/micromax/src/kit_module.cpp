#include "kit_module.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>

#include "mmx/app/build_info.hpp"
#include "mmx/http/openapi.hpp"
#include "mmx/tracing/ids.hpp"
#include "static_files.hpp"

namespace mmx::app {
namespace {

namespace json = boost::json;

struct HealthStatus {
  std::string status;
};
BOOST_DESCRIBE_STRUCT(HealthStatus, (), (status))

struct VersionInfo {
  std::string version;
  std::string commit;
  std::string compiler;
  std::string build_type;
  std::vector<std::string> targets;
  std::int64_t uptime_seconds;
};
BOOST_DESCRIBE_STRUCT(VersionInfo, (), (version, commit, compiler, build_type, targets,
                                        uptime_seconds))

}  // namespace

json::object KitState::openapi_document() const {
  http::OpenApiInfo info;
  std::vector<const module::Module*> targets;
  for (const auto* m : running) {
    if (m->is_target) targets.push_back(m);
    info.tags.emplace_back(m->name, m->description);
  }
  // Nothing from the environment goes in (no host, port, issuer or time): the document of a
  // target is the same bytes on every machine, which is what lets CI diff it.
  info.version = build_info().version;
  if (targets.size() == 1) {
    const std::string& name = targets.front()->name;
    info.title = "MicroMax " + name;
    info.description = targets.front()->description + "\n\nThe API of `micromax --target=" + name +
                       "`, with the operational endpoints every deployable serves. "
                       "Generated from the route declarations; committed as "
                       "shared/contracts/" +
                       name + ".openapi.json.";
  } else {
    info.title = "MicroMax";
    info.description =
        "The MicroMax services mounted in this process. Each service also publishes its own "
        "contract in shared/contracts/.";
  }
  return http::build_openapi(*router, info);
}

void KitState::build_openapi() {
  openapi_json_ = json::serialize(openapi_document());
  openapi_etag_ = "\"" + std::to_string(std::hash<std::string>{}(openapi_json_)) + "\"";
}

const std::string& KitState::openapi_json() {
  std::call_once(openapi_once_, [this] { build_openapi(); });
  return openapi_json_;
}

const std::string& KitState::openapi_etag() {
  std::call_once(openapi_once_, [this] { build_openapi(); });
  return openapi_etag_;
}

module::Module make_kit_module(std::shared_ptr<KitState> state) {
  module::Module m;
  m.name = "server";
  m.description = "Operational endpoints: health, readiness, version, metrics, API docs.";
  m.is_target = false;
  m.docs_path = "/docs";
  m.init = [state](module::Context& ctx) {
    auto& r = ctx.router;
    // Serialised once: probes hit this endpoint constantly and the answer never changes.
    static const std::string kAlive = dto::serialize(HealthStatus{"ok"});
    r.get("/healthz", [](http::Request&) -> http::awaitable<http::Response> {
       co_return http::Response::json(kAlive);
     })
        .summary("Liveness: the process is up and serving")
        .returns<HealthStatus>(200, "Alive");

    const health::Registry* checks = &ctx.health;
    r.get("/readyz", [state, checks](http::Request&) -> http::awaitable<http::Response> {
       health::Report report = co_await checks->run(state->readiness_timeout);
       const bool draining = state->draining.load();
       int status = report.ok && !draining ? 200 : 503;
       http::Response resp = http::Response::json(report.to_json(draining), status);
       resp.set_header("Cache-Control", "no-store");
       co_return resp;
     })
        .summary("Readiness: every dependency check passes and the process is not draining")
        .returns_content(200, "Ready; each check with its status and duration",
                         "application/json")
        .returns_content(503, "Not ready (a check failed, or draining); details per check",
                         "application/json");

    r.get("/version", [state](http::Request&) -> http::awaitable<http::Response> {
       const auto& b = build_info();
       VersionInfo v{b.version, b.commit, b.compiler, b.build_type, {}, 0};
       for (const auto* mod : state->running) {
         if (mod->is_target) v.targets.push_back(mod->name);
       }
       v.uptime_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::steady_clock::now() - state->started_at)
                              .count();
       co_return http::Response::of(v);
     })
        .summary("Version, build and running targets")
        .returns<VersionInfo>(200, "Build information");

    metrics::Registry* reg = &ctx.metrics;
    r.get("/metrics", [reg](http::Request&) -> http::awaitable<http::Response> {
       co_return http::Response::text(reg->render(), "text/plain; version=0.0.4; charset=utf-8");
     })
        .summary("Prometheus metrics")
        .returns_content(200, "Prometheus text exposition format", "text/plain");

    r.get("/openapi.json", [state](http::Request& req) -> http::awaitable<http::Response> {
       const std::string& etag = state->openapi_etag();
       if (auto inm = req.header("If-None-Match"); inm && *inm == etag) {
         http::Response resp = http::Response::empty(304);
         resp.set_header("ETag", etag);
         co_return resp;
       }
       http::Response resp = http::Response::json(std::string(state->openapi_json()));
       resp.set_header("ETag", etag);
       co_return resp;
     })
        .summary("This OpenAPI 3.1 document")
        .returns_content(200, "OpenAPI 3.1 document", "application/json");

    r.get("/", [state](http::Request&) -> http::awaitable<http::Response> {
       co_return http::Response::html(render_landing_page(*state));
     }).hidden();

    mount_static_files(r);
  };
  return m;
}

}  // namespace mmx::app
