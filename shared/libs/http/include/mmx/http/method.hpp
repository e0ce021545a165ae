#pragma once
#include <cstdint>
#include <string_view>

namespace mmx::http {

enum class Method : std::uint8_t { get, head, post, put, patch, del, options, other };

std::string_view method_name(Method m) noexcept;  // "GET", "DELETE", ...
Method parse_method(std::string_view s) noexcept;  // Method::other when unknown

}  // namespace mmx::http
