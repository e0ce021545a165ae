#pragma once
// Refresh tokens (rotation, reuse detection, revocation), revoked access-token ids and
// password-recovery tokens. Only SHA-256 digests of tokens are stored.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "mmx/db/database.hpp"
#include "mmx/dto/dto.hpp"

namespace mmx::auth_service {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct RefreshRow {
  std::string token_hash;
  std::string family_id;
  std::optional<std::string> user_id;
  std::optional<std::string> client_id;
  std::string scope;
  dto::TimePoint created_at;
  std::int64_t expires_at = 0;
  bool rotated = false;
  bool revoked = false;
};
BOOST_DESCRIBE_STRUCT(RefreshRow, (),
                      (token_hash, family_id, user_id, client_id, scope, created_at, expires_at,
                       rotated, revoked))

// A new refresh token in `family`; returns the token (the only time it exists in clear).
awaitable<std::string> create_refresh(db::Session& db, std::string family,
                                      std::optional<std::string> user_id,
                                      std::optional<std::string> client_id, std::string scope,
                                      std::chrono::seconds ttl);

awaitable<std::optional<RefreshRow>> find_refresh(db::Session& db, std::string token);

enum class RefreshUse { ok, unknown, expired, revoked, reused };

// Marks the token rotated if it is live. `reused`: it had been rotated already (or was
// rotated by a concurrent request); the caller then revokes the family.
awaitable<RefreshUse> use_refresh(db::Session& db, const RefreshRow& row, std::int64_t now);

awaitable<std::int64_t> revoke_family(db::Session& db, std::string family);
// Every live refresh token of the user, except those of `keep_family` (the caller's own
// session). Returns how many.
awaitable<std::int64_t> revoke_user_sessions(db::Session& db, std::string user_id,
                                             std::optional<std::string> keep_family);

awaitable<void> revoke_access_token(db::Session& db, std::string jti, std::int64_t expires_at);
awaitable<bool> is_access_token_revoked(db::Session& db, std::string jti);

// Single-use recovery token for the user; returns it in clear (for the email only).
awaitable<std::string> create_recovery(db::Session& db, std::string user_id,
                                       std::chrono::seconds ttl);
// Spends the token if it is live: the user id, else nullopt (unknown, used, expired).
awaitable<std::optional<std::string>> consume_recovery(db::Session& db, std::string token,
                                                       std::int64_t now);

// Drops rows nobody can use any more (expired refresh, recovery and revocation rows).
awaitable<void> purge_expired(db::Session& db, std::int64_t now);

}  // namespace mmx::auth_service
