#pragma once
// The auth service as a module: users, roles, OAuth 2.0 / OpenID Connect token issuer
// (RS256 JWTs, JWKS), service clients and the audit trail. Depends on "auth_verifier"
// (shared/auth) for its own protected routes. See microservices/auth/README.md.
#include "mmx/module/module.hpp"

namespace mmx::auth_service {

module::Module make_module();

}  // namespace mmx::auth_service
