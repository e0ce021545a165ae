#pragma once
// The signing keys: kept in the database (encrypted), so every replica signs with the same
// current key and serves the same JWKS. Each replica rereads them at most every
// MMX_AUTH_KEY_CACHE, which is how a rotation made by one replica (or by `micromax auth
// rotate-keys`) reaches the others.
//
// Rotation: the new key is published at once and signs from now + the activation delay;
// the old key signs until then, and stays published until its last token has expired
// (retired_at + access-token TTL + leeway).
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "key_crypto.hpp"
#include "mmx/auth/jwks.hpp"
#include "mmx/auth/keys.hpp"
#include "mmx/db/database.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "models.hpp"

namespace mmx::auth_service {

struct KeySnapshot {
  auth::SigningKey signing;                    // signs tokens now
  std::shared_ptr<const auth::KeySet> verify;  // every published key
  std::string jwks;                            // the JWKS document, serialized
  std::vector<KeyInfo> keys;                   // what the admin API lists
  std::chrono::steady_clock::time_point loaded;
};

struct SigningKeyRow {
  std::string kid;
  std::string private_pem;  // sealed (key_crypto.hpp)
  dto::TimePoint created_at;
  std::int64_t activates_at = 0;
  std::optional<std::int64_t> retired_at;
};
BOOST_DESCRIBE_STRUCT(SigningKeyRow, (), (kid, private_pem, created_at, activates_at, retired_at))

struct KeyTimes {
  std::chrono::seconds cache{5};
  std::chrono::seconds activation_delay{0};
  std::chrono::seconds retention{930};  // access-token TTL + leeway
};

class KeyManager {
 public:
  KeyManager(std::shared_ptr<db::Database> db, exec::WorkerPool& workers, KeyCrypto crypto,
             KeyTimes times);

  // Cached for KeyTimes::cache. Throws std::runtime_error when there is no usable key.
  boost::asio::awaitable<std::shared_ptr<const KeySnapshot>> current();
  // Start-up: makes a key (active at once) when none is active. True when it made one.
  boost::asio::awaitable<bool> ensure_key();
  boost::asio::awaitable<Rotation> rotate();

 private:
  boost::asio::awaitable<std::shared_ptr<const KeySnapshot>> load();
  std::shared_ptr<const KeySnapshot> build(std::vector<SigningKeyRow> rows, std::int64_t now);
  boost::asio::awaitable<std::string> insert_new_key(std::int64_t activates_at, bool retire_others);

  std::shared_ptr<db::Database> db_;
  exec::WorkerPool& workers_;
  KeyCrypto crypto_;
  KeyTimes times_;
  std::mutex mutex_;
  std::shared_ptr<const KeySnapshot> snapshot_;
  std::map<std::string, auth::SigningKey> parsed_;  // by kid: PEMs are decrypted once
};

std::string new_kid();

}  // namespace mmx::auth_service
