#pragma once
// What every handler of the auth service shares: settings, database, worker pool, keys,
// limiters, the outbox. One instance per process, built in the module's init.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "key_manager.hpp"
#include "mmx/auth/verifier.hpp"
#include "mmx/broker/outbox.hpp"
#include "mmx/db/database.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "rate_limiter.hpp"
#include "settings.hpp"

namespace mmx::auth_service {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct Service {
  Service(AuthSettings s, std::shared_ptr<db::Database> database, exec::WorkerPool& pool);

  AuthSettings settings;
  std::shared_ptr<db::Database> db;
  exec::WorkerPool& workers;
  std::shared_ptr<KeyManager> keys;
  // Checks our own tokens where the service needs more than the middleware's verdict
  // (introspection); keys come from `keys`, not from an HTTP fetch of our own JWKS.
  std::unique_ptr<auth::TokenVerifier> verifier;
  std::shared_ptr<broker::Outbox> outbox;  // null: no events (commands, migrate)
  RateLimiter token_limiter, signup_limiter, recovery_limiter, reset_limiter;
  // A real Argon2id hash of a random password with the configured cost: an unknown email
  // is verified against it, so it costs what a wrong password costs.
  std::string dummy_hash;
  std::string discovery;  // /.well-known/openid-configuration, serialized at start
};

}  // namespace mmx::auth_service
