#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mmx::dto {

// One failing field. `pointer` is an RFC 6901 JSON pointer into the request body ("" is the
// root), so clients can map the message straight back onto their form field.
struct FieldError {
  std::string pointer;
  std::string message;

  bool operator==(const FieldError&) const = default;
};

// Carries every failing field at once: clients fix a form in one round trip, not one per field.
class ValidationError : public std::runtime_error {
 public:
  explicit ValidationError(std::vector<FieldError> errors);

  const std::vector<FieldError>& errors() const noexcept { return *errors_; }

 private:
  // Shared so that copying the exception (as `throw` may) never allocates.
  std::shared_ptr<const std::vector<FieldError>> errors_;
};

}  // namespace mmx::dto
