#include "clients.hpp"

#include "mmx/auth/secrets.hpp"
#include "mmx/db/errors.hpp"
#include "mmx/errors/http_error.hpp"
#include "oauth_error.hpp"
#include "request_util.hpp"

namespace mmx::auth_service {

namespace {
constexpr const char* kClientColumns =
    "client_id, name, secret_hash, grant_types, scopes, roles, active, created_at, updated_at";
}

std::string hash_client_secret(const std::string& secret) { return auth::sha256_hex(secret); }

std::optional<ClientCredentials> client_credentials(const http::Request& req, const Form& form) {
  std::optional<BasicCredentials> basic;
  if (auto h = req.header("Authorization")) {
    try {
      basic = parse_basic_auth(*h);
    } catch (const FormError& e) {
      throw invalid_client(std::string("Authorization header: ") + e.what() + ".");
    }
  }
  auto id = form.get("client_id");
  auto secret = form.get("client_secret");
  // A client id with no secret (in Basic or in the form) identifies a public client, which
  // authenticates nothing: it is no credential.
  if (basic && basic->password.empty()) basic.reset();
  if (basic) {
    if (secret) {
      throw invalid_request("Use one client authentication method: HTTP Basic or form fields.");
    }
    if (id && *id != basic->user) {
      throw invalid_request("client_id does not match the HTTP Basic client.");
    }
    return ClientCredentials{basic->user, basic->password, true};
  }
  if (!secret) return std::nullopt;
  if (!id) throw invalid_request("client_secret was sent without a client_id.");
  return ClientCredentials{*id, *secret, false};
}

awaitable<ClientRow> authenticate_client(db::Session& db, ClientCredentials creds) {
  auto row = co_await find_client(db, creds.client_id);
  // Compared in constant time whether or not the client exists (against a hash of
  // nothing), so timing does not tell which client ids exist.
  const std::string presented = hash_client_secret(creds.client_secret);
  const bool match =
      auth::constant_time_equals(presented, row ? row->secret_hash : hash_client_secret(""));
  if (!row || !match || !row->active) throw invalid_client();
  co_return *row;
}

Client to_client(const ClientRow& r) {
  return {r.client_id,
          r.name,
          split_spaces(r.grant_types),
          split_spaces(r.scopes),
          split_spaces(r.roles),
          r.active,
          r.created_at,
          r.updated_at};
}

awaitable<std::optional<ClientRow>> find_client(db::Session& db, std::string client_id) {
  co_return co_await db.fetch_one<ClientRow>(
      std::string("SELECT ") + kClientColumns + " FROM oauth_clients WHERE client_id = $1",
      client_id);
}

awaitable<std::vector<ClientRow>> all_clients(db::Session& db) {
  co_return co_await db.fetch_all<ClientRow>(std::string("SELECT ") + kClientColumns +
                                             " FROM oauth_clients ORDER BY client_id");
}

awaitable<void> insert_client(db::Session& db, ClientRow r) {
  try {
    co_await db.execute("INSERT INTO oauth_clients (" + std::string(kClientColumns) +
                            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        r.client_id, r.name, r.secret_hash, r.grant_types, r.scopes, r.roles,
                        r.active, r.created_at, r.updated_at);
  } catch (const db::DbError& e) {
    if (e.kind() != db::ErrorKind::unique_violation) throw;
    throw errors::conflict("A client with id " + r.client_id + " already exists.");
  }
}

awaitable<void> update_client(db::Session& db, ClientRow r) {
  co_await db.execute(
      "UPDATE oauth_clients SET name = $2, secret_hash = $3, grant_types = $4, scopes = $5, "
      "roles = $6, active = $7, updated_at = $8 WHERE client_id = $1",
      r.client_id, r.name, r.secret_hash, r.grant_types, r.scopes, r.roles, r.active, r.updated_at);
}

awaitable<bool> delete_client(db::Session& db, std::string client_id) {
  auto n = co_await db.execute("DELETE FROM oauth_clients WHERE client_id = $1", client_id);
  co_return n > 0;
}

}  // namespace mmx::auth_service
