#include "mmx/auth/errors.hpp"

namespace mmx::auth {

std::string_view to_string(TokenErrorKind kind) noexcept {
  switch (kind) {
    case TokenErrorKind::missing: return "missing";
    case TokenErrorKind::malformed: return "malformed";
    case TokenErrorKind::too_large: return "too_large";
    case TokenErrorKind::unsupported_algorithm: return "unsupported_algorithm";
    case TokenErrorKind::unknown_key: return "unknown_key";
    case TokenErrorKind::bad_signature: return "bad_signature";
    case TokenErrorKind::expired: return "expired";
    case TokenErrorKind::not_yet_valid: return "not_yet_valid";
    case TokenErrorKind::wrong_issuer: return "wrong_issuer";
    case TokenErrorKind::wrong_audience: return "wrong_audience";
    case TokenErrorKind::revoked: return "revoked";
  }
  return "unknown";
}

}  // namespace mmx::auth
