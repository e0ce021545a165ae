#pragma once
// The auth service's HTTP API, one file per area. Helpers the areas share live here.
#include <memory>
#include <optional>
#include <string>

#include "audit.hpp"
#include "issuer.hpp"
#include "mmx/http/router.hpp"
#include "models.hpp"
#include "service.hpp"

namespace mmx::auth_service {

void mount_token_routes(http::Router& router, std::shared_ptr<Service> svc);
void mount_oidc_routes(http::Router& router, std::shared_ptr<Service> svc);
void mount_account_routes(http::Router& router, std::shared_ptr<Service> svc);
void mount_admin_routes(http::Router& router, std::shared_ptr<Service> svc);

// The discovery document (built once at start: settings and seeded scopes only).
awaitable<std::string> discovery_document(Service& svc);

// The user behind the request's (already verified) bearer token: 403 for a service token,
// 401 when the token was revoked or its user is gone or disabled.
struct CurrentUser {
  UserRow user;
  auth::Principal principal;
};
awaitable<CurrentUser> current_user(Service& svc, const http::Request& req);

// Set-Cookie for the refresh token (HttpOnly, Secure unless local dev, SameSite=Strict,
// Path=/auth); an empty token with max_age 0 clears it.
std::string refresh_cookie(const AuthSettings& s, const std::string& token, std::int64_t max_age);

// A new user in one transaction with its roles, the audit line and UserRegistered in the
// outbox. Hashes the password on the worker pool. Throws errors::conflict for a taken email.
struct NewUser {
  std::string id;  // empty: a new UUID (the demo users have fixed ones)
  std::string email, password, full_name;
  std::vector<std::string> roles;
  bool active = true;
};
awaitable<User> create_user(Service& svc, NewUser in, AuditEntry audit_entry,
                            std::string traceparent);

// The password policy as a 422 on `pointer` (e.g. "/password").
void check_new_password(const Service& svc, const std::string& password, const std::string& email,
                        const std::string& pointer);
// The account-email rules as a 422 on `pointer`.
void check_account_email(const std::string& email, const std::string& pointer);

// 422 for a query parameter, in the kit's format.
[[noreturn]] void bad_query(const std::string& name, const std::string& expected);

}  // namespace mmx::auth_service
