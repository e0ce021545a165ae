#pragma once
// Where the middleware gets the issuer's verifying keys. JwksSource fetches them over HTTP;
// StaticKeyProvider holds a fixed set (tests, or a service that has the keys in hand).
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "mmx/auth/jwks.hpp"

namespace mmx::auth {

// The keys cannot be had right now (issuer down, bad JWKS document). The middleware answers
// 503 with Retry-After: retry_after_seconds().
class JwksUnavailable : public std::runtime_error {
 public:
  JwksUnavailable(const std::string& message, int retry_after_seconds)
      : std::runtime_error(message), retry_after_(retry_after_seconds) {}
  int retry_after_seconds() const noexcept { return retry_after_; }

 private:
  int retry_after_;
};

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  // The current set without waiting (starting a background refresh if it is stale), or
  // nullptr when the caller must await keys(). The middleware's fast path: no coroutine
  // frame per request.
  virtual std::shared_ptr<const KeySet> try_keys() { return nullptr; }
  // The current key set (never null). Throws JwksUnavailable.
  virtual boost::asio::awaitable<std::shared_ptr<const KeySet>> keys() = 0;
  // A token names a kid that `seen` lacks: a newer set if one can be had now (a provider
  // may rate-limit this), else the current one. Throws JwksUnavailable.
  virtual boost::asio::awaitable<std::shared_ptr<const KeySet>> refresh_for_unknown_kid(
      std::shared_ptr<const KeySet> seen) = 0;
};

class StaticKeyProvider final : public KeyProvider {
 public:
  explicit StaticKeyProvider(KeySet keys)
      : keys_(std::make_shared<const KeySet>(std::move(keys))) {}
  std::shared_ptr<const KeySet> try_keys() override { return keys_; }
  boost::asio::awaitable<std::shared_ptr<const KeySet>> keys() override;
  boost::asio::awaitable<std::shared_ptr<const KeySet>> refresh_for_unknown_kid(
      std::shared_ptr<const KeySet> seen) override;

 private:
  std::shared_ptr<const KeySet> keys_;
};

}  // namespace mmx::auth
