#include "users.hpp"

#include <algorithm>
#include <map>

#include "mmx/db/errors.hpp"
#include "mmx/errors/http_error.hpp"

namespace mmx::auth_service {

namespace asio = boost::asio;

namespace {

constexpr const char* kUserColumns =
    "id, email, email_key, full_name, password_hash, active, created_at, updated_at";

struct RoleOf {
  std::string user_id;
  std::string role;
};
BOOST_DESCRIBE_STRUCT(RoleOf, (), (user_id, role))

struct RoleScope {
  std::string role;
  std::string scope;
};
BOOST_DESCRIBE_STRUCT(RoleScope, (), (role, scope))

struct RoleRow {
  std::string name;
  std::string description;
};
BOOST_DESCRIBE_STRUCT(RoleRow, (), (name, description))

// "$2, $3, ..." for an IN list starting at parameter `first`.
std::string placeholders(std::size_t n, std::size_t first) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out;
}

// LIKE pattern for a search term, with the term's own % _ and \ escaped.
std::string like_pattern(const std::string& term) {
  std::string out = "%";
  for (char c : term) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return out + "%";
}

User make_user(const UserRow& r, std::vector<std::string> roles) {
  return {r.id, r.email, r.full_name, r.active, std::move(roles), r.created_at, r.updated_at};
}

}  // namespace

awaitable<std::optional<UserRow>> find_user(db::Session& db, std::string id) {
  co_return co_await db.fetch_one<UserRow>(
      std::string("SELECT ") + kUserColumns + " FROM users WHERE id = $1", id);
}

awaitable<std::optional<UserRow>> find_user_by_email(db::Session& db, std::string email_key) {
  co_return co_await db.fetch_one<UserRow>(
      std::string("SELECT ") + kUserColumns + " FROM users WHERE email_key = $1", email_key);
}

awaitable<std::vector<std::string>> roles_of(db::Session& db, std::string user_id) {
  auto rows = co_await db.fetch_all<RoleOf>(
      "SELECT user_id, role FROM user_roles WHERE user_id = $1 ORDER BY role", user_id);
  std::vector<std::string> out;
  for (auto& r : rows) out.push_back(std::move(r.role));
  co_return out;
}

awaitable<std::vector<std::string>> scopes_of(db::Session& db, std::vector<std::string> roles) {
  std::vector<std::string> out;
  if (roles.empty()) co_return out;
  db::Params params;
  for (const auto& r : roles) params.emplace_back(r);
  auto rows = co_await db.fetch_all_params<RoleScope>(
      "SELECT role, scope FROM role_scopes WHERE role IN (" + placeholders(roles.size(), 1) +
          ") ORDER BY scope",
      std::move(params));
  for (auto& r : rows) {
    if (std::find(out.begin(), out.end(), r.scope) == out.end()) out.push_back(std::move(r.scope));
  }
  co_return out;
}

awaitable<User> to_user(db::Session& db, UserRow row) {
  auto roles = co_await roles_of(db, row.id);
  co_return make_user(row, std::move(roles));
}

awaitable<void> check_roles(db::Session& db, std::vector<std::string> roles) {
  if (roles.empty()) co_return;
  db::Params params;
  for (const auto& r : roles) params.emplace_back(r);
  auto known = co_await db.fetch_all_params<RoleRow>(
      "SELECT name, description FROM roles WHERE name IN (" + placeholders(roles.size(), 1) + ")",
      std::move(params));
  std::vector<dto::FieldError> errors;
  for (std::size_t i = 0; i < roles.size(); ++i) {
    bool found = std::any_of(known.begin(), known.end(),
                             [&](const RoleRow& k) { return k.name == roles[i]; });
    if (!found) errors.push_back({"/roles/" + std::to_string(i), "unknown role " + roles[i]});
  }
  if (!errors.empty()) throw errors::unprocessable(std::move(errors));
}

awaitable<void> insert_user(db::Transaction& tx, UserRow row, std::vector<std::string> roles) {
  try {
    co_await tx.execute(
        "INSERT INTO users (id, email, email_key, full_name, password_hash, active, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        row.id, row.email, row.email_key, row.full_name, row.password_hash, row.active,
        row.created_at, row.updated_at);
  } catch (const db::DbError& e) {
    if (e.kind() != db::ErrorKind::unique_violation) throw;
    throw errors::conflict("An account with this email already exists.");
  }
  co_await set_roles(tx, row.id, std::move(roles));
}

awaitable<void> set_roles(db::Transaction& tx, std::string user_id,
                          std::vector<std::string> roles) {
  co_await tx.execute("DELETE FROM user_roles WHERE user_id = $1", user_id);
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  for (const auto& role : roles) {
    co_await tx.execute("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", user_id, role);
  }
}

awaitable<void> update_user(db::Session& db, UserRow row) {
  try {
    co_await db.execute(
        "UPDATE users SET email = $2, email_key = $3, full_name = $4, active = $5, "
        "password_hash = $6, updated_at = $7 WHERE id = $1",
        row.id, row.email, row.email_key, row.full_name, row.active, row.password_hash,
        row.updated_at);
  } catch (const db::DbError& e) {
    if (e.kind() != db::ErrorKind::unique_violation) throw;
    throw errors::conflict("An account with this email already exists.");
  }
}

awaitable<UserPage> list_users(db::Session& db, UserQuery q) {
  std::string where = " WHERE 1 = 1";
  db::Params params;
  if (!q.search.empty()) {
    params.emplace_back(like_pattern(q.search));
    where += " AND (email_key LIKE $1 ESCAPE '\\' OR lower(full_name) LIKE $1 ESCAPE '\\')";
  }
  if (q.active) {
    params.emplace_back(*q.active);
    where += " AND active = $" + std::to_string(params.size());
  }
  if (q.role) {
    params.emplace_back(*q.role);
    where += " AND id IN (SELECT user_id FROM user_roles WHERE role = $" +
             std::to_string(params.size()) + ")";
  }
  db::Params count_params = params;
  auto total = co_await db.fetch_value_params<std::int64_t>("SELECT count(*) FROM users" + where,
                                                            std::move(count_params));
  params.emplace_back(q.limit);
  params.emplace_back(q.offset);
  const std::string page = " ORDER BY created_at, id LIMIT $" + std::to_string(params.size() - 1) +
                           " OFFSET $" + std::to_string(params.size());
  auto rows = co_await db.fetch_all_params<UserRow>(
      std::string("SELECT ") + kUserColumns + " FROM users" + where + page, std::move(params));
  UserPage out{{}, total.value_or(0), q.limit, q.offset};
  if (rows.empty()) co_return out;
  db::Params ids;
  for (const auto& r : rows) ids.emplace_back(r.id);
  auto role_rows = co_await db.fetch_all_params<RoleOf>(
      "SELECT user_id, role FROM user_roles WHERE user_id IN (" + placeholders(rows.size(), 1) +
          ") ORDER BY role",
      std::move(ids));
  std::map<std::string, std::vector<std::string>> by_user;
  for (auto& r : role_rows) by_user[r.user_id].push_back(std::move(r.role));
  for (const auto& r : rows) out.items.push_back(make_user(r, by_user[r.id]));
  co_return out;
}

awaitable<RoleList> list_roles(db::Session& db) {
  auto roles = co_await db.fetch_all<RoleRow>("SELECT name, description FROM roles ORDER BY name");
  auto scopes =
      co_await db.fetch_all<RoleScope>("SELECT role, scope FROM role_scopes ORDER BY role, scope");
  RoleList out;
  for (auto& r : roles) {
    Role role{r.name, r.description, {}};
    for (const auto& s : scopes) {
      if (s.role == r.name) role.scopes.push_back(s.scope);
    }
    out.items.push_back(std::move(role));
  }
  co_return out;
}

}  // namespace mmx::auth_service
