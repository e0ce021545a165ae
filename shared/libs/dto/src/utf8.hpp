#pragma once

#include <string>
#include <string_view>

namespace mmx::dto::detail {

// Invalid sequences become U+FFFD, so text from a hostile body can be echoed back safely.
std::string sanitize_utf8(std::string_view text);

}  // namespace mmx::dto::detail
