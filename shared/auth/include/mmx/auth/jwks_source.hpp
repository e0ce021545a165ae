#pragma once
// The issuer's JWKS, fetched over HTTP and cached.
//
// - Lazy: nothing is fetched until a token needs a key (in the monolith the auth service
//   is in the same process and the server is not listening yet while modules initialise).
// - URL: `jwks_url` when given (MMX_AUTH_JWKS_URL), else `jwks_uri` from
//   <issuer>/.well-known/openid-configuration (looked up once, then remembered).
// - Refresh: a set older than `refresh_interval` is refetched in the background while the
//   old one keeps serving; a token with an unknown kid triggers a refetch at most once per
//   `min_refresh_interval` after the last fetch ended (tokens with random kids cannot make
//   us hammer the issuer).
// - Single flight: however many requests need a fetch at once, one HTTP request is made
//   and all of them get its result.
// - Failures never crash and never drop a set we already have: with no set at all, callers
//   get JwksUnavailable (503 + Retry-After) and the next fetch waits `failure_backoff`.
//
// Fetches run on a private io thread started on first use (so the source does not depend
// on, or outlive, any server's io_context); callers may await from any executor.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "mmx/auth/key_provider.hpp"
#include "mmx/http/client.hpp"

namespace mmx::metrics {
class Registry;
}

namespace mmx::auth {

struct JwksSourceOptions {
  std::string issuer;    // for discovery when jwks_url is empty
  std::string jwks_url;  // http:// only (the kit's client does not speak TLS)
  std::chrono::milliseconds min_refresh_interval{std::chrono::seconds(10)};
  std::chrono::milliseconds refresh_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds failure_backoff{std::chrono::seconds(2)};
  http::ClientOptions client{};  // timeouts; the default 2 s connect, 10 s request
};

class JwksSource final : public KeyProvider {
 public:
  // With a registry: auth_jwks_fetches_total{outcome} and auth_jwks_keys are reported.
  explicit JwksSource(JwksSourceOptions options, metrics::Registry* metrics = nullptr);
  ~JwksSource() override;  // stops the private thread; no fetch may be in flight
  JwksSource(const JwksSource&) = delete;
  JwksSource& operator=(const JwksSource&) = delete;

  std::shared_ptr<const KeySet> try_keys() override;
  boost::asio::awaitable<std::shared_ptr<const KeySet>> keys() override;
  boost::asio::awaitable<std::shared_ptr<const KeySet>> refresh_for_unknown_kid(
      std::shared_ptr<const KeySet> seen) override;

  // The set held now, without fetching (nullptr before the first successful fetch).
  std::shared_ptr<const KeySet> current() const;
  // HTTP fetches of the JWKS document attempted (discovery not counted).
  std::uint64_t fetches() const;
  const JwksSourceOptions& options() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mmx::auth
