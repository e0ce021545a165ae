#pragma once
#include <string>
#include <string_view>

#include "mmx/errors/http_error.hpp"

namespace mmx::errors {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// The problem+json body: type, title, status, detail, instance, request_id, and for 422
// an "errors" array of {pointer, detail}, plus any extensions.
std::string problem_json(const HttpError& e, std::string_view instance,
                         std::string_view request_id);

// Maps any exception to the HttpError the client sees: HttpError as is, a DTO
// ValidationError as 422, a full worker pool as 503; anything else as an opaque 500
// (the caller logs the original).
HttpError to_http_error(std::exception_ptr ep) noexcept;

}  // namespace mmx::errors
