#pragma once
// JWS compact serialization of JWTs: signing (RS256) and splitting a token into its parts.
// decode_jwt checks only the shape; TokenVerifier does the verification.
#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "mmx/auth/keys.hpp"

namespace mmx::auth {

// header {alg:"RS256", typ:"JWT", kid:key.kid()} + claims, signed with `key`.
std::string sign_jwt(const boost::json::object& claims, const SigningKey& key);

struct DecodedJwt {
  boost::json::object header;
  boost::json::object payload;
  std::string signing_input;  // "<header b64>.<payload b64>", what the signature covers
  std::string signature;      // raw bytes
};

// Throws TokenError(malformed) unless the token is three strict base64url parts whose
// first two are JSON objects. Nothing is verified.
DecodedJwt decode_jwt(std::string_view token);

}  // namespace mmx::auth
