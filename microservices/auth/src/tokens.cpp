#include "tokens.hpp"

#include "mmx/auth/secrets.hpp"
#include "request_util.hpp"

namespace mmx::auth_service {

awaitable<std::string> create_refresh(db::Session& db, std::string family,
                                      std::optional<std::string> user_id,
                                      std::optional<std::string> client_id, std::string scope,
                                      std::chrono::seconds ttl) {
  std::string token = auth::random_token(32);
  co_await db.execute(
      "INSERT INTO refresh_tokens (token_hash, family_id, user_id, client_id, scope, created_at, "
      "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      auth::sha256_hex(token), family, user_id, client_id, scope, std::chrono::system_clock::now(),
      unix_now() + ttl.count());
  co_return token;
}

awaitable<std::optional<RefreshRow>> find_refresh(db::Session& db, std::string token) {
  co_return co_await db.fetch_one<RefreshRow>(
      "SELECT token_hash, family_id, user_id, client_id, scope, created_at, expires_at, rotated, "
      "revoked FROM refresh_tokens WHERE token_hash = $1",
      auth::sha256_hex(token));
}

awaitable<RefreshUse> use_refresh(db::Session& db, const RefreshRow& row, std::int64_t now) {
  if (row.revoked) co_return RefreshUse::revoked;
  if (row.rotated) co_return RefreshUse::reused;
  if (row.expires_at <= now) co_return RefreshUse::expired;
  // Conditional: of two requests racing with one token, exactly one rotates it.
  auto n = co_await db.execute(
      "UPDATE refresh_tokens SET rotated = TRUE WHERE token_hash = $1 AND rotated = FALSE AND "
      "revoked = FALSE",
      row.token_hash);
  co_return n == 1 ? RefreshUse::ok : RefreshUse::reused;
}

awaitable<std::int64_t> revoke_family(db::Session& db, std::string family) {
  co_return co_await db.execute(
      "UPDATE refresh_tokens SET revoked = TRUE WHERE family_id = $1 AND revoked = FALSE", family);
}

awaitable<std::int64_t> revoke_user_sessions(db::Session& db, std::string user_id,
                                             std::optional<std::string> keep_family) {
  if (keep_family) {
    co_return co_await db.execute(
        "UPDATE refresh_tokens SET revoked = TRUE WHERE user_id = $1 AND revoked = FALSE AND "
        "family_id <> $2",
        user_id, *keep_family);
  }
  co_return co_await db.execute(
      "UPDATE refresh_tokens SET revoked = TRUE WHERE user_id = $1 AND revoked = FALSE", user_id);
}

awaitable<void> revoke_access_token(db::Session& db, std::string jti, std::int64_t expires_at) {
  co_await db.execute(
      "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
      jti, expires_at);
}

awaitable<bool> is_access_token_revoked(db::Session& db, std::string jti) {
  auto found = co_await db.fetch_value<std::int64_t>(
      "SELECT count(*) FROM revoked_tokens WHERE jti = $1", jti);
  co_return found&&* found > 0;
}

awaitable<std::string> create_recovery(db::Session& db, std::string user_id,
                                       std::chrono::seconds ttl) {
  std::string token = auth::random_token(32);
  co_await db.execute(
      "INSERT INTO recovery_tokens (token_hash, user_id, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4)",
      auth::sha256_hex(token), user_id, std::chrono::system_clock::now(), unix_now() + ttl.count());
  co_return token;
}

awaitable<std::optional<std::string>> consume_recovery(db::Session& db, std::string token,
                                                       std::int64_t now) {
  const std::string hash = auth::sha256_hex(token);
  auto user = co_await db.fetch_value<std::string>(
      "SELECT user_id FROM recovery_tokens WHERE token_hash = $1 AND used = FALSE AND "
      "expires_at > $2",
      hash, now);
  if (!user) co_return std::nullopt;
  auto n = co_await db.execute(
      "UPDATE recovery_tokens SET used = TRUE WHERE token_hash = $1 AND used = FALSE", hash);
  if (n != 1) co_return std::nullopt;
  co_return user;
}

awaitable<void> purge_expired(db::Session& db, std::int64_t now) {
  co_await db.execute("DELETE FROM refresh_tokens WHERE expires_at < $1", now);
  co_await db.execute("DELETE FROM recovery_tokens WHERE expires_at < $1", now);
  co_await db.execute("DELETE FROM revoked_tokens WHERE expires_at < $1", now);
}

}  // namespace mmx::auth_service
