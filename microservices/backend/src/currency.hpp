#pragma once
#include <string_view>

#include "mmx/dto/constraints.hpp"

namespace mmx::backend {

// True for an active ISO 4217 alphabetic code (the list of 2024, funds and metals excluded).
bool is_iso4217(std::string_view code);

// The same list as a DTO constraint: validated with the other fields (one 422 lists every
// problem) and published as the schema's enum.
dto::rule::OneOf iso4217();

}  // namespace mmx::backend
