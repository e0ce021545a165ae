#pragma once
// The backend service as a module: the public catalog and orders API (/api/v1), the private
// API for other services (/internal/v1) and the catalog and order events. Depends on
// "auth_verifier" (shared/auth) for its bearer tokens. See microservices/backend/README.md.
#include "mmx/module/module.hpp"

namespace mmx::backend {

module::Module make_module();

}  // namespace mmx::backend
