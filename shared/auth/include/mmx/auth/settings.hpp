#pragma once
// The auth settings (group "auth"), shared by the verifier in every service and by the
// auth service that issues the tokens, so both resolve the same issuer and audience.
//
//   MMX_AUTH_ISSUER                      "" = http://<MMX_LISTEN> (0.0.0.0/:: -> 127.0.0.1)
//   MMX_AUTH_AUDIENCE                    micromax (comma list accepted)
//   MMX_AUTH_JWKS_URL                    "" = jwks_uri from the issuer's discovery document
//   MMX_AUTH_LEEWAY                      30s
//   MMX_AUTH_TOKEN_CACHE                 10000 verified tokens; 0 = no cache
//   MMX_AUTH_JWKS_REFRESH_MIN_INTERVAL   10s between refetches caused by unknown kids
//   MMX_AUTH_JWKS_REFRESH_INTERVAL       5m, age after which the key set is refetched
#include <string>
#include <string_view>
#include <vector>

#include "mmx/auth/jwks_source.hpp"
#include "mmx/auth/verifier.hpp"
#include "mmx/config/config.hpp"

namespace mmx::auth {

// Declares the settings above; declaring them again (from another module) is harmless.
void declare_auth_settings(config::SettingRegistry& registry);

// MMX_AUTH_ISSUER, or http://HOST:PORT from MMX_LISTEN with a wildcard host replaced by
// 127.0.0.1 and an IPv6 host bracketed. No trailing slash is added or removed.
std::string resolve_issuer(const config::Config& cfg);
// MMX_AUTH_AUDIENCE split on commas.
std::vector<std::string> resolve_audiences(const config::Config& cfg);

VerifierOptions verifier_options(const config::Config& cfg);
JwksSourceOptions jwks_source_options(const config::Config& cfg);

// MMX_<SERVICE>_API_KEY ("data_pipelines" -> MMX_DATA_PIPELINES_API_KEY).
std::string api_key_setting(std::string_view service);
// Declares it: a secret (NAME_FILE works, never printed), empty = API keys refused, in the
// service's settings group. A service with `AuthRequirement::service` routes calls this
// from its declare_settings.
void declare_service_api_key(config::SettingRegistry& registry, std::string_view service);

}  // namespace mmx::auth
