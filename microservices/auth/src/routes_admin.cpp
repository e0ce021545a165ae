// The admin API (/auth/admin/**, role admin): users, roles, service clients, the audit
// trail and key rotation. Every change is audited with the admin as actor.
#include "audit.hpp"
#include "clients.hpp"
#include "form.hpp"
#include "mmx/auth/secrets.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/log/log.hpp"
#include "request_util.hpp"
#include "routes.hpp"
#include "tokens.hpp"
#include "users.hpp"

namespace mmx::auth_service {

namespace asio = boost::asio;

namespace {

const http::AuthRequirement kAdmin = http::AuthRequirement::roles({"admin"});
constexpr std::int64_t kMaxPage = 200;

struct Caller {
  std::string id;
  std::string ip;
};

Caller caller(const Service& svc, const http::Request& req) {
  const auth::Principal* p = auth::principal(req);
  return {p ? p->subject : "unknown", client_ip(req, svc.settings.trust_forwarded_for)};
}

std::int64_t query_int(const http::Request& req, const std::string& name, std::int64_t def,
                       std::int64_t min, std::int64_t max) {
  auto v = req.query_as<std::int64_t>(name);
  if (!v) return def;
  if (*v < min || *v > max) {
    bad_query(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return *v;
}

// A text filter: printable UTF-8 of at most 320 bytes (a NUL would end a LIKE pattern
// early in SQLite, and no stored value holds a control character).
std::optional<std::string> query_text(const http::Request& req, const std::string& name) {
  auto v = req.query(name);
  if (v && (v->size() > 320 || !is_clean_text(*v))) {
    bad_query(name, "must be printable UTF-8, at most 320 bytes");
  }
  return v;
}

std::optional<std::int64_t> query_time(const http::Request& req, const std::string& name) {
  auto v = req.query(name);
  if (!v) return std::nullopt;
  auto t = dto::parse_date_time(*v);
  if (!t) bad_query(name, "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z");
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

awaitable<UserRow> user_or_404(Service& svc, std::string id) {
  auto row = co_await find_user(*svc.db, id);
  if (!row) throw errors::not_found("No user " + id + ".");
  co_return *row;
}

awaitable<ClientRow> client_or_404(Service& svc, std::string id) {
  auto row = co_await find_client(*svc.db, id);
  if (!row) throw errors::not_found("No client " + id + ".");
  co_return *row;
}

// Grant types, scope syntax and role names of a client, as 422s on their pointers.
awaitable<void> check_client_lists(Service& svc, const std::vector<std::string>& grants,
                                   const std::vector<std::string>& scopes,
                                   std::vector<std::string> roles) {
  std::vector<dto::FieldError> errors;
  for (std::size_t i = 0; i < grants.size(); ++i) {
    if (grants[i] != "client_credentials" && grants[i] != "password" &&
        grants[i] != "refresh_token") {
      errors.push_back({"/grant_types/" + std::to_string(i),
                        "must be client_credentials, password or refresh_token"});
    }
  }
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const auto& s = scopes[i];
    bool ok = !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u >= 0x21 && u <= 0x7e && u != '"' && u != '\\';
    });
    if (!ok) {
      errors.push_back({"/scopes/" + std::to_string(i),
                        "must be 1 to 128 printable ASCII characters without spaces, quotes or "
                        "backslashes (RFC 6749 scope-token)"});
    }
  }
  if (!errors.empty()) throw errors::unprocessable(std::move(errors));
  co_await check_roles(*svc.db, std::move(roles));
}

ClientWithSecret with_secret(const ClientRow& row, std::string secret) {
  ClientWithSecret out;
  static_cast<Client&>(out) = to_client(row);
  out.client_secret = std::move(secret);
  return out;
}

void mount_user_admin(http::Router& r, std::shared_ptr<Service> svc) {
  r.get("/auth/admin/users",
        [svc](http::Request& req) -> awaitable<http::Response> {
          UserQuery q;
          q.search = query_text(req, "q").value_or("");
          q.active = req.query_as<bool>("active");
          q.role = query_text(req, "role");
          q.limit = query_int(req, "limit", 50, 1, kMaxPage);
          q.offset = query_int(req, "offset", 0, 0, INT64_MAX / 2);
          auto page = co_await list_users(*svc->db, std::move(q));
          co_return http::Response::of(page);
        })
      .summary("List and search users")
      .query("q", http::ParamType::string, "Search in email and full name (case-insensitive)")
      .query("active", http::ParamType::boolean, "Only active (true) or disabled (false) users")
      .query("role", http::ParamType::string, "Only users holding this role")
      .query("limit", http::ParamType::integer, "Page size, 1-200 (default 50)")
      .query("offset", http::ParamType::integer, "Users to skip (default 0)")
      .auth(kAdmin)
      .returns<UserPage>(200, "A page of users, with the total matching");

  r.post("/auth/admin/users",
         [svc](http::Request& req) -> awaitable<http::Response> {
           auto in = req.json<CreateUser>();
           check_account_email(in.email, "/email");
           check_new_password(*svc, in.password, in.email, "/password");
           const Caller c = caller(*svc, req);
           NewUser fresh{"", in.email, in.password, in.full_name, in.roles, in.active};
           AuditEntry entry{c.id, "user.create", "", c.ip, join_spaces(in.roles), true};
           User user = co_await create_user(*svc, std::move(fresh), std::move(entry),
                                            req.trace().traceparent());
           http::Response resp = http::Response::of(user, 201);
           resp.set_header("Location", "/auth/admin/users/" + user.id);
           co_return resp;
         })
      .summary("Create a user")
      .auth(kAdmin)
      .body<CreateUser>()
      .returns<User>(201, "Created")
      .returns(409, "The email is taken");

  r.get("/auth/admin/users/{id:uuid}",
        [svc](http::Request& req) -> awaitable<http::Response> {
          UserRow row = co_await user_or_404(*svc, std::string(req.param("id")));
          User user = co_await to_user(*svc->db, row);
          co_return http::Response::of(user);
        })
      .summary("Read a user")
      .auth(kAdmin)
      .returns<User>(200, "The user")
      .returns(404, "No such user");

  r.patch("/auth/admin/users/{id:uuid}",
          [svc](http::Request& req) -> awaitable<http::Response> {
            auto in = req.json<UpdateUser>();
            const Caller c = caller(*svc, req);
            UserRow row = co_await user_or_404(*svc, std::string(req.param("id")));
            if (in.active && !*in.active && row.id == c.id) {
              throw errors::conflict("You cannot disable your own account.");
            }
            if (in.email) {
              check_account_email(*in.email, "/email");
              row.email = *in.email;
              row.email_key = lower_ascii(*in.email);
            }
            if (in.full_name) row.full_name = *in.full_name;
            const bool disabling = in.active && !*in.active && row.active;
            if (in.active) row.active = *in.active;
            row.updated_at = std::chrono::system_clock::now();
            co_await svc->db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
              co_await update_user(tx, row);
              if (disabling) co_await revoke_user_sessions(tx, row.id, std::nullopt);
              co_await audit(tx, c.id, disabling ? "user.disable" : "user.update", row.id, c.ip, "",
                             true);
            });
            User user = co_await to_user(*svc->db, row);
            co_return http::Response::of(user);
          })
      .summary("Update a user's email, name or active flag (inactive: signed out everywhere)")
      .auth(kAdmin)
      .body<UpdateUser>()
      .returns<User>(200, "Updated")
      .returns(404, "No such user")
      .returns(409, "The email is taken, or you tried to disable yourself");

  r.post("/auth/admin/users/{id:uuid}/disable",
         [svc](http::Request& req) -> awaitable<http::Response> {
           const Caller c = caller(*svc, req);
           UserRow row = co_await user_or_404(*svc, std::string(req.param("id")));
           if (row.id == c.id) throw errors::conflict("You cannot disable your own account.");
           row.active = false;
           row.updated_at = std::chrono::system_clock::now();
           co_await svc->db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
             co_await update_user(tx, row);
             const std::int64_t n = co_await revoke_user_sessions(tx, row.id, std::nullopt);
             co_await audit(tx, c.id, "user.disable", row.id, c.ip,
                            std::to_string(n) + " refresh tokens revoked", true);
           });
           User user = co_await to_user(*svc->db, row);
           co_return http::Response::of(user);
         })
      .summary("Disable a user and sign them out everywhere")
      .auth(kAdmin)
      .returns<User>(200, "Disabled")
      .returns(404, "No such user")
      .returns(409, "You tried to disable yourself");

  r.put("/auth/admin/users/{id:uuid}/roles",
        [svc](http::Request& req) -> awaitable<http::Response> {
          auto in = req.json<SetRoles>();
          const Caller c = caller(*svc, req);
          UserRow row = co_await user_or_404(*svc, std::string(req.param("id")));
          co_await check_roles(*svc->db, in.roles);
          if (row.id == c.id &&
              std::find(in.roles.begin(), in.roles.end(), "admin") == in.roles.end()) {
            throw errors::conflict("You cannot remove your own admin role.");
          }
          co_await svc->db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
            co_await set_roles(tx, row.id, in.roles);
            co_await tx.execute("UPDATE users SET updated_at = $2 WHERE id = $1", row.id,
                                std::chrono::system_clock::now());
            co_await audit(tx, c.id, "user.roles", row.id, c.ip, join_spaces(in.roles), true);
          });
          User user = co_await to_user(*svc->db, row);
          co_return http::Response::of(user);
        })
      .summary("Replace a user's roles (effective at their next token refresh)")
      .auth(kAdmin)
      .body<SetRoles>()
      .returns<User>(200, "Updated")
      .returns(404, "No such user")
      .returns(422, "Unknown role");

  r.post("/auth/admin/users/{id:uuid}/logout",
         [svc](http::Request& req) -> awaitable<http::Response> {
           const Caller c = caller(*svc, req);
           UserRow row = co_await user_or_404(*svc, std::string(req.param("id")));
           const std::int64_t n = co_await revoke_user_sessions(*svc->db, row.id, std::nullopt);
           co_await audit(*svc->db, c.id, "user.logout", row.id, c.ip,
                          std::to_string(n) + " refresh tokens revoked", true);
           co_return http::Response::empty(204);
         })
      .summary("Force logout: revoke every refresh token of the user")
      .description(
          "Access tokens already issued stay valid until they expire (15 minutes by "
          "default).")
      .auth(kAdmin)
      .returns(204, "Signed out")
      .returns(404, "No such user");

  r.get("/auth/admin/roles",
        [svc](http::Request&) -> awaitable<http::Response> {
          auto roles = co_await list_roles(*svc->db);
          co_return http::Response::of(roles);
        })
      .summary("The roles and the scopes each grants")
      .auth(kAdmin)
      .returns<RoleList>(200, "Roles");
}

void mount_client_admin(http::Router& r, std::shared_ptr<Service> svc) {
  r.get("/auth/admin/clients",
        [svc](http::Request&) -> awaitable<http::Response> {
          auto rows = co_await all_clients(*svc->db);
          ClientList out;
          for (const auto& row : rows) out.items.push_back(to_client(row));
          co_return http::Response::of(out);
        })
      .summary("List service clients")
      .auth(kAdmin)
      .returns<ClientList>(200, "Clients");

  r.post("/auth/admin/clients",
         [svc](http::Request& req) -> awaitable<http::Response> {
           auto in = req.json<CreateClient>();
           co_await check_client_lists(*svc, in.grant_types, in.scopes, in.roles);
           const Caller c = caller(*svc, req);
           const auto now = std::chrono::system_clock::now();
           const std::string secret = auth::random_token(32);
           ClientRow row{in.client_id.value_or("svc-" + auth::random_token(9)),
                         in.name,
                         hash_client_secret(secret),
                         join_spaces(in.grant_types),
                         join_spaces(in.scopes),
                         join_spaces(in.roles),
                         true,
                         now,
                         now};
           co_await insert_client(*svc->db, row);
           co_await audit(*svc->db, c.id, "client.create", row.client_id, c.ip, row.scopes, true);
           http::Response resp = http::Response::of(with_secret(row, secret), 201);
           resp.set_header("Location", "/auth/admin/clients/" + row.client_id);
           resp.set_header("Cache-Control", "no-store");
           co_return resp;
         })
      .summary("Create a service client (the secret is shown this once)")
      .auth(kAdmin)
      .body<CreateClient>()
      .returns<ClientWithSecret>(201, "Created, with its secret")
      .returns(409, "The client id is taken");

  r.get("/auth/admin/clients/{client_id}",
        [svc](http::Request& req) -> awaitable<http::Response> {
          ClientRow row = co_await client_or_404(*svc, std::string(req.param("client_id")));
          co_return http::Response::of(to_client(row));
        })
      .summary("Read a service client")
      .auth(kAdmin)
      .returns<Client>(200, "The client")
      .returns(404, "No such client");

  r.patch("/auth/admin/clients/{client_id}",
          [svc](http::Request& req) -> awaitable<http::Response> {
            auto in = req.json<UpdateClient>();
            const Caller c = caller(*svc, req);
            ClientRow row = co_await client_or_404(*svc, std::string(req.param("client_id")));
            Client current = to_client(row);
            co_await check_client_lists(*svc, in.grant_types.value_or(current.grant_types),
                                        in.scopes.value_or(current.scopes),
                                        in.roles.value_or(current.roles));
            if (in.name) row.name = *in.name;
            if (in.grant_types) row.grant_types = join_spaces(*in.grant_types);
            if (in.scopes) row.scopes = join_spaces(*in.scopes);
            if (in.roles) row.roles = join_spaces(*in.roles);
            if (in.active) row.active = *in.active;
            row.updated_at = std::chrono::system_clock::now();
            co_await update_client(*svc->db, row);
            co_await audit(*svc->db, c.id, "client.update", row.client_id, c.ip, "", true);
            co_return http::Response::of(to_client(row));
          })
      .summary("Update a service client")
      .auth(kAdmin)
      .body<UpdateClient>()
      .returns<Client>(200, "Updated")
      .returns(404, "No such client");

  r.del("/auth/admin/clients/{client_id}",
        [svc](http::Request& req) -> awaitable<http::Response> {
          const Caller c = caller(*svc, req);
          const std::string id(req.param("client_id"));
          bool gone = co_await delete_client(*svc->db, id);
          if (!gone) throw errors::not_found("No client " + id + ".");
          co_await svc->db->execute(
              "UPDATE refresh_tokens SET revoked = TRUE WHERE client_id = $1 AND revoked = FALSE",
              id);
          co_await audit(*svc->db, c.id, "client.delete", id, c.ip, "", true);
          co_return http::Response::empty(204);
        })
      .summary("Delete a service client")
      .auth(kAdmin)
      .returns(204, "Deleted")
      .returns(404, "No such client");

  r.post("/auth/admin/clients/{client_id}/secret",
         [svc](http::Request& req) -> awaitable<http::Response> {
           const Caller c = caller(*svc, req);
           ClientRow row = co_await client_or_404(*svc, std::string(req.param("client_id")));
           const std::string secret = auth::random_token(32);
           row.secret_hash = hash_client_secret(secret);
           row.updated_at = std::chrono::system_clock::now();
           co_await update_client(*svc->db, row);
           co_await audit(*svc->db, c.id, "client.secret_rotate", row.client_id, c.ip, "", true);
           http::Response resp = http::Response::of(with_secret(row, secret));
           resp.set_header("Cache-Control", "no-store");
           co_return resp;
         })
      .summary("Give a client a new secret (the old one stops working at once)")
      .auth(kAdmin)
      .returns<ClientWithSecret>(200, "The client with its new secret")
      .returns(404, "No such client");
}

void mount_audit_and_keys(http::Router& r, std::shared_ptr<Service> svc) {
  r.get("/auth/admin/audit",
        [svc](http::Request& req) -> awaitable<http::Response> {
          AuditQuery q;
          q.actor = query_text(req, "actor");
          q.action = query_text(req, "action");
          q.subject = query_text(req, "subject");
          q.outcome = query_text(req, "outcome");
          if (q.outcome && *q.outcome != "success" && *q.outcome != "failure") {
            bad_query("outcome", "must be success or failure");
          }
          q.since = query_time(req, "since");
          q.until = query_time(req, "until");
          q.limit = query_int(req, "limit", 50, 1, kMaxPage);
          q.offset = query_int(req, "offset", 0, 0, INT64_MAX / 2);
          auto page = co_await list_audit(*svc->db, std::move(q));
          co_return http::Response::of(page);
        })
      .summary("Read the audit trail, newest first")
      .query("actor", http::ParamType::string, "User or client id that acted")
      .query("action", http::ParamType::string, "login.success, login.failure, user.create, ...")
      .query("subject", http::ParamType::string, "What was acted on (user id, client id, email)")
      .query("outcome", http::ParamType::string, "success or failure")
      .query("since", http::ParamType::string, "RFC 3339 date-time, inclusive")
      .query("until", http::ParamType::string, "RFC 3339 date-time, exclusive")
      .query("limit", http::ParamType::integer, "Page size, 1-200 (default 50)")
      .query("offset", http::ParamType::integer, "Entries to skip (default 0)")
      .auth(kAdmin)
      .returns<AuditPage>(200, "A page of entries, with the total matching");

  r.get("/auth/admin/keys",
        [svc](http::Request&) -> awaitable<http::Response> {
          auto snap = co_await svc->keys->current();
          co_return http::Response::of(KeyList{snap->keys});
        })
      .summary("The published signing keys (never their private parts)")
      .auth(kAdmin)
      .returns<KeyList>(200, "Keys");

  r.post("/auth/admin/keys/rotate",
         [svc](http::Request& req) -> awaitable<http::Response> {
           const Caller c = caller(*svc, req);
           Rotation rot = co_await svc->keys->rotate();
           co_await audit(*svc->db, c.id, "keys.rotate", rot.kid, c.ip,
                          "previous " + rot.previous_kid.value_or("none"), true);
           co_return http::Response::of(rot);
         })
      .summary("Rotate the signing key")
      .description(
          "The new key is published at once and signs after MMX_AUTH_KEY_ACTIVATION_DELAY; "
          "tokens signed by the old key verify until they expire.")
      .auth(kAdmin)
      .returns<Rotation>(200, "The new key");
}

}  // namespace

void mount_admin_routes(http::Router& r, std::shared_ptr<Service> svc) {
  mount_user_admin(r, svc);
  mount_client_admin(r, svc);
  mount_audit_and_keys(r, svc);
}

}  // namespace mmx::auth_service
