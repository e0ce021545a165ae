#pragma once
// The auth service's API bodies and database rows. Each API DTO declares its constraints
// once: they drive validation (422 with a pointer per field) and the OpenAPI schemas.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mmx/dto/dto.hpp"

namespace mmx::auth_service {

// --- database rows -------------------------------------------------------------------------

struct UserRow {
  std::string id;
  std::string email;
  std::string email_key;
  std::string full_name;
  std::string password_hash;
  bool active = true;
  dto::TimePoint created_at;
  dto::TimePoint updated_at;
};
BOOST_DESCRIBE_STRUCT(UserRow, (),
                      (id, email, email_key, full_name, password_hash, active, created_at,
                       updated_at))

struct ClientRow {
  std::string client_id;
  std::string name;
  std::string secret_hash;
  std::string grant_types;  // space-separated
  std::string scopes;       // space-separated
  std::string roles;        // space-separated
  bool active = true;
  dto::TimePoint created_at;
  dto::TimePoint updated_at;
};
BOOST_DESCRIBE_STRUCT(ClientRow, (),
                      (client_id, name, secret_hash, grant_types, scopes, roles, active, created_at,
                       updated_at))

// --- API -----------------------------------------------------------------------------------

struct User {
  std::string id;
  std::string email;
  std::string full_name;
  bool active = true;
  std::vector<std::string> roles;
  dto::TimePoint created_at;
  dto::TimePoint updated_at;
};
BOOST_DESCRIBE_STRUCT(User, (), (id, email, full_name, active, roles, created_at, updated_at))
MMX_DTO_CONSTRAINTS(User, (id, description("User id (UUID); the `sub` of the user's tokens")),
                    (email, email()), (roles, description("Role names: admin, staff, customer")))

struct UserPage {
  std::vector<User> items;
  std::int64_t total = 0;
  std::int64_t limit = 0;
  std::int64_t offset = 0;
};
BOOST_DESCRIBE_STRUCT(UserPage, (), (items, total, limit, offset))

struct SignupRequest {
  std::string email;
  std::string password;
  std::string full_name;
};
BOOST_DESCRIBE_STRUCT(SignupRequest, (), (email, password, full_name))
MMX_DTO_CONSTRAINTS(SignupRequest, (email, email(), length(3, 254), example("ada@example.com")),
                    (password, length(1, 4096),
                     description("Checked against the password policy (length, not the email, "
                                 "not a common password)")),
                    (full_name, length(0, 200), has_default(), example("Ada Lovelace")))

struct UpdateMe {
  std::optional<std::string> email;
  std::optional<std::string> full_name;
  std::optional<std::string> current_password;
};
BOOST_DESCRIBE_STRUCT(UpdateMe, (), (email, full_name, current_password))
MMX_DTO_CONSTRAINTS(UpdateMe, (email, email(), length(3, 254)), (full_name, length(0, 200)),
                    (current_password, length(1, 4096),
                     description("Required to change the email")))

struct ChangePassword {
  std::string current_password;
  std::string new_password;
};
BOOST_DESCRIBE_STRUCT(ChangePassword, (), (current_password, new_password))
MMX_DTO_CONSTRAINTS(ChangePassword, (current_password, length(1, 4096)),
                    (new_password, length(1, 4096)))

struct RecoveryRequest {
  std::string email;
};
BOOST_DESCRIBE_STRUCT(RecoveryRequest, (), (email))
MMX_DTO_CONSTRAINTS(RecoveryRequest, (email, email(), length(3, 254)))

struct ResetPassword {
  std::string token;
  std::string new_password;
};
BOOST_DESCRIBE_STRUCT(ResetPassword, (), (token, new_password))
MMX_DTO_CONSTRAINTS(ResetPassword, (token, length(1, 256), description("From the recovery email")),
                    (new_password, length(1, 4096)))

struct Accepted {
  std::string detail;
};
BOOST_DESCRIBE_STRUCT(Accepted, (), (detail))

struct CreateUser {
  std::string email;
  std::string password;
  std::string full_name;
  std::vector<std::string> roles{"customer"};
  bool active = true;
};
BOOST_DESCRIBE_STRUCT(CreateUser, (), (email, password, full_name, roles, active))
MMX_DTO_CONSTRAINTS(CreateUser, (email, email(), length(3, 254)), (password, length(1, 4096)),
                    (full_name, length(0, 200), has_default()),
                    (roles, items(0, 16), has_default()), (active, has_default()))

struct UpdateUser {
  std::optional<std::string> email;
  std::optional<std::string> full_name;
  std::optional<bool> active;
};
BOOST_DESCRIBE_STRUCT(UpdateUser, (), (email, full_name, active))
MMX_DTO_CONSTRAINTS(UpdateUser, (email, email(), length(3, 254)), (full_name, length(0, 200)))

struct SetRoles {
  std::vector<std::string> roles;
};
BOOST_DESCRIBE_STRUCT(SetRoles, (), (roles))
MMX_DTO_CONSTRAINTS(SetRoles, (roles, items(0, 16), description("Replaces the user's roles")))

struct Role {
  std::string name;
  std::string description;
  std::vector<std::string> scopes;
};
BOOST_DESCRIBE_STRUCT(Role, (), (name, description, scopes))

struct Client {
  std::string client_id;
  std::string name;
  std::vector<std::string> grant_types;
  std::vector<std::string> scopes;
  std::vector<std::string> roles;
  bool active = true;
  dto::TimePoint created_at;
  dto::TimePoint updated_at;
};
BOOST_DESCRIBE_STRUCT(Client, (),
                      (client_id, name, grant_types, scopes, roles, active, created_at, updated_at))

struct ClientWithSecret : Client {
  std::string client_secret;
};
BOOST_DESCRIBE_STRUCT(ClientWithSecret, (Client), (client_secret))
MMX_DTO_CONSTRAINTS(ClientWithSecret,
                    (client_secret, description("Shown once: only its hash is stored")))

inline constexpr const char* kClientIdPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$";
inline constexpr const char* kScopePattern = "^[!#-\\[\\]-~]+$";  // RFC 6749 scope-token

struct CreateClient {
  std::optional<std::string> client_id;
  std::string name;
  std::vector<std::string> grant_types{"client_credentials"};
  std::vector<std::string> scopes;
  std::vector<std::string> roles;
};
BOOST_DESCRIBE_STRUCT(CreateClient, (), (client_id, name, grant_types, scopes, roles))
MMX_DTO_CONSTRAINTS(CreateClient,
                    (client_id, pattern(kClientIdPattern),
                     description("Chosen by the caller, or generated (svc-...)")),
                    (name, length(1, 200)),
                    (grant_types, items(1, 3), has_default(),
                     description("client_credentials, password, refresh_token")),
                    (scopes, items(0, 64), has_default()), (roles, items(0, 16), has_default()))

struct UpdateClient {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> grant_types;
  std::optional<std::vector<std::string>> scopes;
  std::optional<std::vector<std::string>> roles;
  std::optional<bool> active;
};
BOOST_DESCRIBE_STRUCT(UpdateClient, (), (name, grant_types, scopes, roles, active))
MMX_DTO_CONSTRAINTS(UpdateClient, (name, length(1, 200)), (grant_types, items(1, 3)),
                    (scopes, items(0, 64)), (roles, items(0, 16)))

struct ClientList {
  std::vector<Client> items;
};
BOOST_DESCRIBE_STRUCT(ClientList, (), (items))

struct AuditRecord {
  std::int64_t id = 0;
  dto::TimePoint at;
  std::string actor;
  std::string action;
  std::string subject;
  std::string outcome;
  std::string ip;
  std::string detail;
};
BOOST_DESCRIBE_STRUCT(AuditRecord, (), (id, at, actor, action, subject, outcome, ip, detail))
MMX_DTO_CONSTRAINTS(AuditRecord, (actor, description("User id, client id, or `system`")),
                    (action, example("login.failure")), (outcome, one_of({"success", "failure"})))

struct AuditPage {
  std::vector<AuditRecord> items;
  std::int64_t total = 0;
  std::int64_t limit = 0;
  std::int64_t offset = 0;
};
BOOST_DESCRIBE_STRUCT(AuditPage, (), (items, total, limit, offset))

struct RoleList {
  std::vector<Role> items;
};
BOOST_DESCRIBE_STRUCT(RoleList, (), (items))

struct TokenResponse {
  std::string access_token;
  std::string token_type = "Bearer";
  std::int64_t expires_in = 0;
  std::optional<std::string> refresh_token;
  std::string scope;
};
BOOST_DESCRIBE_STRUCT(TokenResponse, (),
                      (access_token, token_type, expires_in, refresh_token, scope))

// The error body of the token, revocation and introspection endpoints (RFC 6749 §5.2), which
// answer in OAuth's format rather than problem+json (oauth_error.hpp).
struct OAuthErrorResponse {
  std::string error;
  std::optional<std::string> error_description;
};
BOOST_DESCRIBE_STRUCT(OAuthErrorResponse, (), (error, error_description))

// The token endpoint's form (RFC 6749 §4.3, §4.4, §6), for the OpenAPI document; the
// handler reads the form itself (FastAPI OAuth2PasswordRequestForm compatible).
struct TokenForm {
  std::string grant_type;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> scope;
  std::optional<std::string> refresh_token;
  std::optional<std::string> client_id;
  std::optional<std::string> client_secret;
  std::optional<std::string> token_delivery;
};
BOOST_DESCRIBE_STRUCT(TokenForm, (),
                      (grant_type, username, password, scope, refresh_token, client_id,
                       client_secret, token_delivery))
MMX_DTO_CONSTRAINTS(TokenForm,
                    (grant_type, one_of({"password", "refresh_token", "client_credentials"})),
                    (username, description("password grant: the user's email")),
                    (scope, description("Space-separated; default: all the account may have")),
                    (refresh_token,
                     description("refresh_token grant; default: the refresh cookie")),
                    (token_delivery, one_of({"body", "cookie"}),
                     description("cookie: the refresh token comes back in an HttpOnly cookie, "
                                 "not in the body")))

struct TokenRequest {  // revocation and introspection (RFC 7009, RFC 7662)
  std::string token;
  std::optional<std::string> token_type_hint;
  std::optional<std::string> client_id;
  std::optional<std::string> client_secret;
};
BOOST_DESCRIBE_STRUCT(TokenRequest, (), (token, token_type_hint, client_id, client_secret))
MMX_DTO_CONSTRAINTS(TokenRequest, (token_type_hint, one_of({"access_token", "refresh_token"})))

struct LogoutForm {
  std::optional<std::string> refresh_token;
};
BOOST_DESCRIBE_STRUCT(LogoutForm, (), (refresh_token))
MMX_DTO_CONSTRAINTS(LogoutForm, (refresh_token, description("Default: the refresh cookie")))

struct Userinfo {
  std::string sub;
  std::string email;
  std::string name;
  std::vector<std::string> roles;
  std::int64_t updated_at = 0;
};
BOOST_DESCRIBE_STRUCT(Userinfo, (), (sub, email, name, roles, updated_at))
MMX_DTO_CONSTRAINTS(Userinfo, (updated_at, description("Unix seconds (OIDC)")))

struct KeyInfo {
  std::string kid;
  dto::TimePoint created_at;
  std::int64_t activates_at = 0;
  std::optional<std::int64_t> retired_at;
  bool signing = false;
};
BOOST_DESCRIBE_STRUCT(KeyInfo, (), (kid, created_at, activates_at, retired_at, signing))
MMX_DTO_CONSTRAINTS(KeyInfo, (activates_at, description("Unix seconds: signs from then")),
                    (retired_at, description("Unix seconds: stops signing then")),
                    (signing, description("The key that signs tokens now")))

struct KeyList {
  std::vector<KeyInfo> items;
};
BOOST_DESCRIBE_STRUCT(KeyList, (), (items))

struct Rotation {
  std::string kid;
  std::optional<std::string> previous_kid;
  std::int64_t activates_at = 0;
};
BOOST_DESCRIBE_STRUCT(Rotation, (), (kid, previous_kid, activates_at))

}  // namespace mmx::auth_service
