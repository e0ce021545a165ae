#pragma once
// The verifier as a module. A service with protected routes lists "auth_verifier" in its
// dependencies, and the binary adds this module once next to the services:
//
//   services.add(auth::make_auth_verifier_module());
//   services.add(backend::make_module());   // dependencies = {"auth_verifier", ...}
//
// Its init declares nothing on the router; it installs the auth middleware once at
// http::Stage::auth with a TokenVerifier and a JwksSource built from the auth settings
// (settings.hpp). No JWKS is fetched until the first protected request.
#include "mmx/module/module.hpp"

namespace mmx::auth {

inline constexpr const char* kVerifierModule = "auth_verifier";

module::Module make_auth_verifier_module();

}  // namespace mmx::auth
