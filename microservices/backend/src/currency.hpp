#pragma once
#include <string_view>

namespace mmx::backend {

// True for an active ISO 4217 alphabetic code (the list of 2024, funds and metals excluded).
bool is_iso4217(std::string_view code);

}  // namespace mmx::backend
