#include "bootstrap.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "audit.hpp"
#include "mmx/auth/password.hpp"
#include "mmx/auth/secrets.hpp"
#include "mmx/db/errors.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/exec/offload.hpp"
#include "mmx/log/log.hpp"
#include "request_util.hpp"
#include "routes.hpp"
#include "tokens.hpp"
#include "users.hpp"

namespace mmx::auth_service {

namespace asio = boost::asio;

Service::Service(AuthSettings s, std::shared_ptr<db::Database> database, exec::WorkerPool& pool)
    : settings(std::move(s)),
      db(std::move(database)),
      workers(pool),
      keys(std::make_shared<KeyManager>(db, pool, KeyCrypto(settings.key_encryption_key),
                                        KeyTimes{settings.key_cache, settings.key_activation_delay,
                                                 settings.access_ttl + settings.leeway})),
      token_limiter(settings.rate_per_minute, settings.rate_burst),
      signup_limiter(settings.rate_per_minute, settings.rate_burst),
      recovery_limiter(settings.rate_per_minute, settings.rate_burst),
      reset_limiter(settings.rate_per_minute, settings.rate_burst) {}

asio::awaitable<void> ensure_first_superuser(Service& svc) {
  const AuthSettings& s = svc.settings;
  if (s.first_superuser.empty()) co_return;
  if (auto why = check_email(s.first_superuser)) {
    throw std::runtime_error("MMX_FIRST_SUPERUSER " + *why);
  }
  // Checked at every start, not only the first: a deployment that still carries the
  // default or a weak password in its configuration is refused, whatever the database holds.
  if (!s.local) {
    if (s.first_superuser_password == "changethis") {
      throw std::runtime_error(
          "MMX_FIRST_SUPERUSER_PASSWORD: the built-in default is refused outside MMX_ENV=local; "
          "set a strong one (scripts/gen-secret.sh prints one), or set MMX_FIRST_SUPERUSER= "
          "(empty) once the admin exists");
    }
    if (auto why =
            check_strong_password(s.password, s.first_superuser_password, s.first_superuser)) {
      throw std::runtime_error("MMX_FIRST_SUPERUSER_PASSWORD " + *why +
                               " (refused outside MMX_ENV=local; scripts/gen-secret.sh prints a "
                               "strong one)");
    }
  }
  auto existing = co_await find_user_by_email(*svc.db, lower_ascii(s.first_superuser));
  if (existing) co_return;
  NewUser admin{"", s.first_superuser, s.first_superuser_password, "Admin", {"admin"}, true};
  AuditEntry entry{"system", "user.create", "", "", "first superuser", true};
  try {
    User u = co_await create_user(svc, std::move(admin), std::move(entry), "");
    log::info("auth", "first superuser created", {{"user_id", u.id}});
  } catch (const errors::HttpError& e) {
    // Another replica created it between our look and our insert.
    if (e.status() != 409) throw;
  }
}

asio::awaitable<void> bootstrap(Service& svc) {
  co_await svc.keys->ensure_key();
  co_await svc.keys->current();  // a key that does not decrypt stops start-up, not a request
  svc.dummy_hash = co_await exec::offload(svc.workers, [&svc] {
    return auth::hash_password(auth::random_token(16), svc.settings.hash);
  });
  svc.discovery = co_await discovery_document(svc);
  co_await ensure_first_superuser(svc);
}

asio::awaitable<void> run_purge(std::shared_ptr<Service> svc) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::hours(1));
    co_await timer.async_wait(asio::use_awaitable);
    const std::int64_t now = unix_now();
    try {
      co_await purge_expired(*svc->db, now);
      co_await svc->db->execute(
          "DELETE FROM login_failures WHERE last_failure < $1 AND locked_until < $2",
          (now - svc->settings.lockout.window.count()) * 1000, now * 1000);
    } catch (const db::DbError& e) {
      log::warn("auth", "purge of expired tokens failed", {{"error", e.what()}});
    }
  }
}

}  // namespace mmx::auth_service
