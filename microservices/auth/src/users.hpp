#pragma once
// Users, their roles and the scopes the roles grant.
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mmx/db/database.hpp"
#include "models.hpp"

namespace mmx::auth_service {

template <class T>
using awaitable = boost::asio::awaitable<T>;

awaitable<std::optional<UserRow>> find_user(db::Session& db, std::string id);
awaitable<std::optional<UserRow>> find_user_by_email(db::Session& db, std::string email_key);
awaitable<std::vector<std::string>> roles_of(db::Session& db, std::string user_id);
// The union of the roles' scopes, sorted.
awaitable<std::vector<std::string>> scopes_of(db::Session& db, std::vector<std::string> roles);
awaitable<User> to_user(db::Session& db, UserRow row);

// Throws errors::unprocessable naming /roles when a role does not exist.
awaitable<void> check_roles(db::Session& db, std::vector<std::string> roles);
// Throws errors::conflict when the email is taken (by another user).
awaitable<void> insert_user(db::Transaction& tx, UserRow row, std::vector<std::string> roles);
awaitable<void> set_roles(db::Transaction& tx, std::string user_id, std::vector<std::string> roles);
// Writes email, email_key, full_name, active, password_hash and updated_at; throws
// errors::conflict when the new email is taken.
awaitable<void> update_user(db::Session& db, UserRow row);

struct UserQuery {
  std::string search;  // in email and full name, case-insensitive
  std::optional<bool> active;
  std::optional<std::string> role;
  std::int64_t limit = 50;
  std::int64_t offset = 0;
};
awaitable<UserPage> list_users(db::Session& db, UserQuery q);

awaitable<RoleList> list_roles(db::Session& db);

}  // namespace mmx::auth_service
