#include "key_manager.hpp"

#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "mmx/auth/secrets.hpp"
#include "mmx/exec/offload.hpp"
#include "mmx/log/log.hpp"
#include "request_util.hpp"

namespace mmx::auth_service {

namespace asio = boost::asio;

std::string new_kid() {
  std::string day = dto::format_date_time(std::chrono::system_clock::now()).substr(0, 10);
  std::erase(day, '-');
  return day + "-" + auth::random_token(6);
}

KeyManager::KeyManager(std::shared_ptr<db::Database> db, exec::WorkerPool& workers,
                       KeyCrypto crypto, KeyTimes times)
    : db_(std::move(db)), workers_(workers), crypto_(std::move(crypto)), times_(times) {}

asio::awaitable<std::shared_ptr<const KeySnapshot>> KeyManager::current() {
  {
    std::lock_guard lock(mutex_);
    if (snapshot_ && std::chrono::steady_clock::now() - snapshot_->loaded < times_.cache) {
      co_return snapshot_;
    }
  }
  co_return co_await load();
}

asio::awaitable<std::shared_ptr<const KeySnapshot>> KeyManager::load() {
  const std::int64_t now = unix_now();
  const std::int64_t published_after = now - times_.retention.count();
  auto rows = co_await db_->fetch_all<SigningKeyRow>(
      "SELECT kid, private_pem, created_at, activates_at, retired_at FROM signing_keys "
      "WHERE retired_at IS NULL OR retired_at > $1 ORDER BY activates_at DESC, kid DESC",
      published_after);
  auto snap = co_await exec::offload(workers_, [&] { return build(std::move(rows), now); });
  std::lock_guard lock(mutex_);
  snapshot_ = snap;
  co_return snap;
}

// On a worker thread: decrypting and parsing a PEM costs about a millisecond, so each kid
// is parsed once and kept while it is published.
std::shared_ptr<const KeySnapshot> KeyManager::build(std::vector<SigningKeyRow> rows,
                                                     std::int64_t now) {
  if (rows.empty()) {
    throw std::runtime_error(
        "no signing key in the auth database (the service makes one at start; `micromax auth "
        "rotate-keys` adds one)");
  }
  std::map<std::string, auth::SigningKey> parsed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& r : rows) {
      if (auto it = parsed_.find(r.kid); it != parsed_.end()) parsed.emplace(r.kid, it->second);
    }
  }
  for (const auto& r : rows) {
    if (parsed.count(r.kid)) continue;
    parsed.emplace(r.kid, auth::SigningKey::from_pem(r.kid, crypto_.open(r.private_pem, r.kid)));
  }
  // Rows come newest activation first: the first that has activated and not retired signs.
  // Should none qualify (keys edited by hand), the oldest published key still does.
  const SigningKeyRow* signer = &rows.back();
  for (const auto& r : rows) {
    if (r.activates_at <= now && (!r.retired_at || *r.retired_at > now)) {
      signer = &r;
      break;
    }
  }
  auto snap = std::make_shared<KeySnapshot>(
      KeySnapshot{parsed.at(signer->kid), nullptr, "", {}, std::chrono::steady_clock::now()});
  std::vector<std::pair<std::string, auth::PublicKey>> pub;
  boost::json::array jwks{snap->signing.public_jwk()};
  pub.emplace_back(signer->kid, snap->signing.public_key());
  for (const auto& r : rows) {
    snap->keys.push_back({r.kid, r.created_at, r.activates_at, r.retired_at, &r == signer});
    if (&r == signer) continue;
    const auto& key = parsed.at(r.kid);
    jwks.push_back(key.public_jwk());
    pub.emplace_back(r.kid, key.public_key());
  }
  snap->verify = std::make_shared<const auth::KeySet>(auth::KeySet::from_keys(pub));
  snap->jwks = boost::json::serialize(boost::json::object{{"keys", std::move(jwks)}});
  std::lock_guard lock(mutex_);
  parsed_ = std::move(parsed);
  return snap;
}

asio::awaitable<std::string> KeyManager::insert_new_key(std::int64_t activates_at,
                                                        bool retire_others) {
  std::string kid = new_kid();
  // RSA-2048 generation takes 50-200 ms: never on an io thread.
  std::string sealed = co_await exec::offload(
      workers_, [&] { return crypto_.seal(auth::SigningKey::generate(kid).private_pem(), kid); });
  co_await db_->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
    if (retire_others) {
      co_await tx.execute("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL",
                          activates_at);
    }
    co_await tx.execute(
        "INSERT INTO signing_keys (kid, private_pem, created_at, activates_at) "
        "VALUES ($1, $2, $3, $4)",
        kid, sealed, std::chrono::system_clock::now(), activates_at);
  });
  std::lock_guard lock(mutex_);
  snapshot_.reset();
  co_return kid;
}

asio::awaitable<bool> KeyManager::ensure_key() {
  auto active = co_await db_->fetch_value<std::int64_t>(
      "SELECT count(*) FROM signing_keys WHERE retired_at IS NULL");
  if (active && *active > 0) co_return false;
  std::string kid = co_await insert_new_key(unix_now(), false);
  log::info("auth", "signing key created", {{"kid", kid}});
  co_return true;
}

asio::awaitable<Rotation> KeyManager::rotate() {
  std::optional<std::string> previous;
  auto active = co_await db_->fetch_value<std::int64_t>(
      "SELECT count(*) FROM signing_keys WHERE retired_at IS NULL");
  if (active && *active > 0) {
    auto snap = co_await load();
    previous = snap->signing.kid();
  }
  const std::int64_t activates_at = unix_now() + times_.activation_delay.count();
  std::string kid = co_await insert_new_key(activates_at, true);
  log::info(
      "auth", "signing key rotated",
      {{"kid", kid}, {"previous_kid", previous.value_or("")}, {"activates_at", activates_at}});
  co_return Rotation{kid, previous, activates_at};
}

}  // namespace mmx::auth_service
