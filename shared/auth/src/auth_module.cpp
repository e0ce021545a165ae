#include "mmx/auth/auth_module.hpp"

#include <stdexcept>

#include "mmx/auth/jwks_source.hpp"
#include "mmx/auth/middleware.hpp"
#include "mmx/auth/settings.hpp"
#include "mmx/auth/verifier.hpp"
#include "mmx/log/log.hpp"

namespace mmx::auth {

namespace {

void init_verifier(module::Context& ctx) {
  // `micromax openapi`: no request is served, so no middleware, no JWKS and no checks of the
  // issuer settings (the routes carry their own auth requirements for the document).
  if (ctx.docs_only) return;
  VerifierOptions vo = verifier_options(ctx.config);
  JwksSourceOptions jo = jwks_source_options(ctx.config);
  // The kit's client speaks plain http only: say so at start-up, not at the first request.
  if (!jo.jwks_url.empty() && !jo.jwks_url.starts_with("http://")) {
    throw std::runtime_error("MMX_AUTH_JWKS_URL must be an http:// URL (TLS ends at the ingress "
                             "or mesh; use the issuer's in-cluster address)");
  }
  if (jo.jwks_url.empty() && !jo.issuer.starts_with("http://")) {
    throw std::runtime_error("MMX_AUTH_ISSUER " + jo.issuer +
                             " is not http://, so its discovery document cannot be fetched: set "
                             "MMX_AUTH_JWKS_URL to an http:// URL of its JWKS (in-cluster address)");
  }
  if (vo.audiences.empty()) {
    throw std::runtime_error("MMX_AUTH_AUDIENCE is empty: name the audience tokens must carry");
  }
  log::info("auth", "token verification",
            {{"issuer", vo.issuer},
             {"audience", ctx.config.string("MMX_AUTH_AUDIENCE")},
             {"jwks", jo.jwks_url.empty() ? std::string("discovery") : jo.jwks_url}});

  MiddlewareOptions mo;
  mo.verifier = std::make_shared<TokenVerifier>(std::move(vo), &ctx.metrics);
  mo.keys = std::make_shared<JwksSource>(std::move(jo), &ctx.metrics);
  mo.metrics = &ctx.metrics;
  // API keys are read from the loaded configuration; a module that never declared one has
  // none (the setting's absence is not an error, just "no API key").
  mo.api_key = [cfg = ctx.config](std::string_view module) -> std::optional<std::string> {
    try {
      return cfg.string(api_key_setting(module));
    } catch (const std::logic_error&) {
      return std::nullopt;
    }
  };
  ctx.pipeline.use(http::Stage::auth, make_auth_middleware(std::move(mo)));
}

}  // namespace

module::Module make_auth_verifier_module() {
  module::Module m;
  m.name = kVerifierModule;
  m.description =
      "Bearer-token verification (RS256 JWTs from the issuer's JWKS) for services with "
      "protected routes.";
  m.is_target = false;
  m.declare_settings = declare_auth_settings;
  m.init = init_verifier;
  return m;
}

}  // namespace mmx::auth
