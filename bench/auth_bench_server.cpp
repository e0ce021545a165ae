// The server of bench/auth.sh's middleware measurement: the real runtime (mmx_app) with the
// bearer-token verifier, the auth service (the issuer and its JWKS, in the same process, as
// in the monolith) and one bench-only module with the same tiny endpoint twice:
//
//   GET /bench/open       AuthRequirement::none           {"status":"ok"}
//   GET /bench/protected  AuthRequirement::authenticated  {"status":"ok"}
//
// Both go through the same pipeline; the only difference is the auth middleware's work on
// the protected one (bearer header, token cache or RSA verification, principal attached).
// The JWKS is fetched from this process's own /.well-known/jwks.json (discovery) at the
// first protected request, as a service would fetch it from the auth service.
#include <string>

#include "mmx/app/app.hpp"
#include "mmx/auth/auth_module.hpp"
#include "mmx/auth/principal.hpp"
#include "mmx/auth_service/auth_service.hpp"
#include "mmx/errors/http_error.hpp"

namespace {

using namespace mmx;

constexpr const char* kBody = R"({"status":"ok"})";

module::Module make_bench_module() {
  module::Module m;
  m.name = "bench";
  m.description = "bench/auth.sh only: the same tiny endpoint, open and protected.";
  m.dependencies = {auth::kVerifierModule};
  m.init = [](module::Context& ctx) {
    ctx.router
        .get("/bench/open",
             [](http::Request&) -> http::awaitable<http::Response> {
               co_return http::Response::json(std::string(kBody));
             })
        .summary("Open: no token needed");
    ctx.router
        .get("/bench/protected",
             [](http::Request& req) -> http::awaitable<http::Response> {
               // What a handler does first on a protected route; never null here.
               if (!auth::principal(req)) throw errors::unauthorized("no principal");
               co_return http::Response::json(std::string(kBody));
             })
        .summary("Protected: any valid bearer token")
        .auth(http::AuthRequirement::authenticated());
  };
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  module::ModuleSet services;
  services.add(auth::make_auth_verifier_module());
  services.add(auth_service::make_module());
  services.add(make_bench_module());
  return app::run_main(argc, argv, std::move(services));
}
