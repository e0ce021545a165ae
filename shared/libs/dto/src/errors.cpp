#include "mmx/dto/errors.hpp"

#include <string>
#include <utility>

namespace mmx::dto {

ValidationError::ValidationError(std::vector<FieldError> errors)
    : std::runtime_error("validation failed: " + std::to_string(errors.size()) + " error(s)"),
      errors_(std::make_shared<const std::vector<FieldError>>(std::move(errors))) {}

}  // namespace mmx::dto
