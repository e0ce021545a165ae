#include "mmx/auth/jwt.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "mmx/auth/encoding.hpp"
#include "mmx/auth/errors.hpp"

namespace mmx::auth {

namespace json = boost::json;

std::string sign_jwt(const json::object& claims, const SigningKey& key) {
  const json::object header{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", key.kid()}};
  std::string input = base64url_encode(json::serialize(header));
  input += '.';
  input += base64url_encode(json::serialize(claims));
  std::string sig = key.sign_rs256(input);
  input += '.';
  input += base64url_encode(sig);
  return input;
}

namespace {

[[noreturn]] void malformed(const char* what) {
  throw TokenError(TokenErrorKind::malformed, std::string("malformed token: ") + what);
}

json::object parse_part(std::string_view b64, const char* name_b64, const char* name_json,
                        const char* name_obj) {
  auto raw = base64url_decode(b64);
  if (!raw) malformed(name_b64);
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec) malformed(name_json);
  if (!v.is_object()) malformed(name_obj);
  return std::move(v.as_object());
}

}  // namespace

DecodedJwt decode_jwt(std::string_view token) {
  const auto d1 = token.find('.');
  if (d1 == std::string_view::npos) malformed("expected three dot-separated parts");
  const auto d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    malformed("expected three dot-separated parts");
  }
  DecodedJwt out;
  out.header = parse_part(token.substr(0, d1), "header is not base64url",
                          "header is not JSON", "header is not a JSON object");
  out.payload = parse_part(token.substr(d1 + 1, d2 - d1 - 1), "payload is not base64url",
                           "payload is not JSON", "payload is not a JSON object");
  auto sig = base64url_decode(token.substr(d2 + 1));
  if (!sig) malformed("signature is not base64url");
  out.signature = std::move(*sig);
  out.signing_input = std::string(token.substr(0, d2));
  return out;
}

}  // namespace mmx::auth
