#pragma once
// A JWKS document (RFC 7517) reduced to what we verify with: RSA keys for signatures.
// Immutable once built, so a shared_ptr<const KeySet> is a snapshot any number of threads
// may read while a newer set replaces it.
#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/auth/keys.hpp"

namespace mmx::auth {

class KeySet {
 public:
  KeySet() = default;
  // Keeps keys with kty "RSA", a kid, alg "RS256" or no alg, use "sig" or no use, and a
  // modulus of at least 2048 bits; skips everything else (EC, oct, RSA-OAEP, malformed
  // entries) and records why in skipped(). Throws std::invalid_argument when the document
  // is not {"keys": [...]}.
  static KeySet parse(const boost::json::object& jwks);
  static KeySet parse(std::string_view jwks_json);
  // Keys already in hand (the auth service's own, tests).
  static KeySet from_keys(const std::vector<std::pair<std::string, PublicKey>>& keys);

  // nullptr when the kid is unknown.
  const PublicKey* find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }
  std::vector<std::string> kids() const;
  // One line per ignored entry ("kid x: kty EC is not RSA"), for logs.
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  std::map<std::string, PublicKey, std::less<>> keys_;
  std::vector<std::string> skipped_;
};

}  // namespace mmx::auth
