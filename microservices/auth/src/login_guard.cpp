#include "login_guard.hpp"

namespace mmx::auth_service {

awaitable<LoginState> login_state(db::Session& db, std::string email_key, std::int64_t now_ms) {
  auto until = co_await db.fetch_value<std::int64_t>(
      "SELECT locked_until FROM login_failures WHERE email_key = $1", email_key);
  LoginState state;
  state.failures = until.has_value();
  // Rounded up: a client that waits Retry-After seconds finds the lock gone.
  if (until && *until > now_ms) state.locked_for = (*until - now_ms + 999) / 1000;
  co_return state;
}

awaitable<std::int64_t> record_failure(db::Session& db, std::string email_key, LockoutPolicy policy,
                                       std::int64_t now_ms) {
  if (policy.threshold <= 0) co_return 0;
  // One statement, so concurrent failures all count; a failure after a quiet `window`
  // starts the count again.
  auto failures = co_await db.fetch_value<std::int64_t>(
      "INSERT INTO login_failures (email_key, failures, last_failure) VALUES ($1, 1, $2) "
      "ON CONFLICT (email_key) DO UPDATE SET failures = CASE WHEN login_failures.last_failure "
      "< $3 THEN 1 ELSE login_failures.failures + 1 END, last_failure = $2 RETURNING failures",
      email_key, now_ms, now_ms - policy.window.count() * 1000);
  const std::int64_t lock = policy.lock_for(failures.value_or(1)).count();
  if (lock > 0) {
    co_await db.execute("UPDATE login_failures SET locked_until = $2 WHERE email_key = $1",
                        email_key, now_ms + lock * 1000);
  }
  co_return lock;
}

awaitable<void> clear_failures(db::Session& db, std::string email_key) {
  co_await db.execute("DELETE FROM login_failures WHERE email_key = $1", email_key);
}

}  // namespace mmx::auth_service
