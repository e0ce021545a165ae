#pragma once
// Why a token was refused. Messages are safe to show a client (the middleware puts them in
// WWW-Authenticate's error_description) and never contain the token or any part of it.
#include <stdexcept>
#include <string>
#include <string_view>

namespace mmx::auth {

enum class TokenErrorKind {
  missing,                // no bearer token at all
  malformed,              // not three base64url parts, bad JSON, a required claim absent
  too_large,              // longer than VerifierOptions::max_token_bytes
  unsupported_algorithm,  // alg other than RS256 (none, HS*, ES*, ...), or a `crit` header
  unknown_key,            // kid absent, or not in the issuer's key set
  bad_signature,
  expired,
  not_yet_valid,  // nbf (or iat) in the future beyond the leeway
  wrong_issuer,
  wrong_audience,
  revoked,  // for issuers that track revocation (the auth service's introspection)
};

// "malformed", "bad_signature", ...: metric labels and logs.
std::string_view to_string(TokenErrorKind kind) noexcept;

class TokenError : public std::runtime_error {
 public:
  TokenError(TokenErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  TokenErrorKind kind() const noexcept { return kind_; }

 private:
  TokenErrorKind kind_;
};

}  // namespace mmx::auth
