#pragma once
// Who may do what in the backend, in one place.
#include "mmx/auth/principal.hpp"
#include "mmx/http/route.hpp"

namespace mmx::backend {

// Catalog writes and the all-orders views.
inline http::AuthRequirement staff_only() {
  return http::AuthRequirement::roles({"staff", "admin"});
}

// The private API: client-credentials tokens of services with this scope (or the service's
// API key, MMX_BACKEND_API_KEY).
inline constexpr const char* kInternalScope = "backend:internal";
inline http::AuthRequirement internal_only() {
  return http::AuthRequirement::service({kInternalScope});
}

inline bool is_staff(const auth::Principal* p) {
  return p && (p->has_role("staff") || p->has_role("admin"));
}

}  // namespace mmx::backend
