#pragma once

#include <vector>

#include "mmx/dto/detail/check.hpp"
#include "mmx/dto/detail/path.hpp"
#include "mmx/dto/errors.hpp"

namespace mmx::dto {

// Constraints (and UTF-8, finite numbers, known enumerators) on an object already in memory,
// e.g. before sending it: the same rules and messages as from_json.
template <class T>
std::vector<FieldError> validate(const T& value) {
  detail::Errors errors;
  detail::Path root;
  detail::check_value(value, root, errors);
  return errors;
}

}  // namespace mmx::dto
