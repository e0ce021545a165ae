#pragma once
// Header text helpers shared by the server and the client.
#include <strings.h>

#include <string_view>

namespace mmx::http {

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// False for CR, LF or NUL: such a header name or value would split the message.
inline bool header_safe(std::string_view s) noexcept {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace mmx::http
