#include "mmx/auth/settings.hpp"

#include <cctype>

#include "mmx/config/parse.hpp"

namespace mmx::auth {

using config::Kind;

void declare_auth_settings(config::SettingRegistry& r) {
  auto add = [&](std::string name, Kind kind, std::string def, std::string help,
                 std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX) {
    r.add(config::make_setting(std::move(name), kind, std::move(def), std::move(help), "auth", min,
                               max));
  };
  add("MMX_AUTH_ISSUER", Kind::url, "",
      "Token issuer (the `iss` every service accepts, and the auth service signs with); empty = "
      "http://<MMX_LISTEN> with 0.0.0.0 read as 127.0.0.1. Keycloak: "
      "https://HOST/realms/REALM.");
  add("MMX_AUTH_AUDIENCE", Kind::string, "micromax",
      "Audience a token must name in `aud` (a comma list accepts any of them).");
  add("MMX_AUTH_JWKS_URL", Kind::url, "",
      "Where the issuer's signing keys are fetched (plain http); empty = jwks_uri from "
      "<MMX_AUTH_ISSUER>/.well-known/openid-configuration.");
  add("MMX_AUTH_LEEWAY", Kind::duration, "30s",
      "Clock skew allowed when checking exp, nbf and iat.", 0, 600'000);
  add("MMX_AUTH_TOKEN_CACHE", Kind::integer, "10000",
      "Verified tokens remembered until they expire (so each is verified once); 0 = no cache.",
      0, 10'000'000);
  add("MMX_AUTH_JWKS_REFRESH_MIN_INTERVAL", Kind::duration, "10s",
      "Least time between JWKS fetches triggered by tokens with an unknown kid.", 0,
      86'400'000);
  add("MMX_AUTH_JWKS_REFRESH_INTERVAL", Kind::duration, "5m",
      "Age after which the JWKS is fetched again (in the background; the old keys keep "
      "serving).",
      1000, 86'400'000);
}

std::string resolve_issuer(const config::Config& cfg) {
  if (cfg.is_set("MMX_AUTH_ISSUER")) return cfg.string("MMX_AUTH_ISSUER");
  const config::HostPort hp = cfg.host_port("MMX_LISTEN");
  std::string host = hp.host;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") host = "127.0.0.1";
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(hp.port);
}

std::vector<std::string> resolve_audiences(const config::Config& cfg) {
  return config::split_list(cfg.string("MMX_AUTH_AUDIENCE"));
}

VerifierOptions verifier_options(const config::Config& cfg) {
  VerifierOptions o;
  o.issuer = resolve_issuer(cfg);
  o.audiences = resolve_audiences(cfg);
  o.leeway = std::chrono::duration_cast<std::chrono::seconds>(cfg.duration("MMX_AUTH_LEEWAY"));
  o.cache_entries = static_cast<std::size_t>(cfg.integer("MMX_AUTH_TOKEN_CACHE"));
  return o;
}

JwksSourceOptions jwks_source_options(const config::Config& cfg) {
  JwksSourceOptions o;
  o.issuer = resolve_issuer(cfg);
  o.jwks_url = cfg.string("MMX_AUTH_JWKS_URL");
  o.min_refresh_interval = cfg.duration("MMX_AUTH_JWKS_REFRESH_MIN_INTERVAL");
  o.refresh_interval = cfg.duration("MMX_AUTH_JWKS_REFRESH_INTERVAL");
  // A request waits for the first fetch: keep the worst case short.
  o.client.request_timeout = std::chrono::seconds(5);
  o.client.max_attempts = 2;
  return o;
}

std::string api_key_setting(std::string_view service) {
  std::string name = "MMX_";
  for (char c : service) {
    name += std::isalnum(static_cast<unsigned char>(c))
                ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                : '_';
  }
  return name + "_API_KEY";
}

void declare_service_api_key(config::SettingRegistry& registry, std::string_view service) {
  config::Setting s = config::make_setting(
      api_key_setting(service), Kind::string, "",
      "API key other services may send as X-API-Key to this service's private routes "
      "(instead of a client_credentials token); empty = API keys refused.",
      std::string(service));
  s.secret = true;
  registry.add(std::move(s));
}

}  // namespace mmx::auth
