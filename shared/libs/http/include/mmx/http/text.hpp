#pragma once
// Header names are case-insensitive (RFC 9110); one comparison for the whole library.
#include <strings.h>

#include <string_view>

namespace mmx::http {

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace mmx::http
