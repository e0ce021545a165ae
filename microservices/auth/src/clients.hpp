#pragma once
// OAuth clients (services) and client authentication (RFC 6749 §2.3.1: HTTP Basic, or
// client_id + client_secret in the form; never both).
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "form.hpp"
#include "mmx/db/database.hpp"
#include "mmx/http/request.hpp"
#include "models.hpp"

namespace mmx::auth_service {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct ClientCredentials {
  std::string client_id;
  std::string client_secret;
  bool basic = false;
};

// What the request presents; nullopt for none. OAuthError invalid_request for both methods
// at once or a Basic header that does not decode; a client_id without a secret is no
// credential (public clients such as Swagger UI send one).
std::optional<ClientCredentials> client_credentials(const http::Request& req, const Form& form);

// The active client with that id and secret; OAuthError invalid_client (401) otherwise.
awaitable<ClientRow> authenticate_client(db::Session& db, ClientCredentials creds);

Client to_client(const ClientRow& row);
std::string hash_client_secret(const std::string& secret);

awaitable<std::optional<ClientRow>> find_client(db::Session& db, std::string client_id);
awaitable<std::vector<ClientRow>> all_clients(db::Session& db);
// Throws errors::conflict when the client id is taken.
awaitable<void> insert_client(db::Session& db, ClientRow row);
awaitable<void> update_client(db::Session& db, ClientRow row);
awaitable<bool> delete_client(db::Session& db, std::string client_id);

}  // namespace mmx::auth_service
