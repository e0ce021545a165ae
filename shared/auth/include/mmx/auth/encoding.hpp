#pragma once
// base64url (RFC 4648 §5) without padding, as JOSE uses it.
#include <optional>
#include <string>
#include <string_view>

namespace mmx::auth {

std::string base64url_encode(std::string_view bytes);
// Strict: no padding, no whitespace, only the base64url alphabet, and no stray bits in the
// last character (one byte string has exactly one encoding). nullopt otherwise.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace mmx::auth
