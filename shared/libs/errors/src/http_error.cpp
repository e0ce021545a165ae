#include "mmx/errors/http_error.hpp"

namespace mmx::errors {

HttpError::HttpError(int status, std::string detail, std::string title)
    : status_(status),
      title_(title.empty() ? std::string(reason_phrase(status)) : std::move(title)),
      detail_(std::move(detail)) {
  what_ = std::to_string(status_) + " " + title_ + (detail_.empty() ? "" : ": " + detail_);
}

HttpError& HttpError::with_type(std::string uri) {
  type_ = std::move(uri);
  return *this;
}
HttpError& HttpError::with_header(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
  return *this;
}
HttpError& HttpError::with_field_errors(std::vector<dto::FieldError> errors) {
  field_errors_ = std::move(errors);
  return *this;
}
HttpError& HttpError::with_extension(const std::string& key, boost::json::value v) {
  extensions_[key] = std::move(v);
  return *this;
}

HttpError bad_request(std::string detail) { return HttpError(400, std::move(detail)); }
HttpError unauthorized(std::string detail, std::string www_authenticate) {
  return std::move(HttpError(401, std::move(detail))
                       .with_header("WWW-Authenticate", std::move(www_authenticate)));
}
HttpError forbidden(std::string detail) { return HttpError(403, std::move(detail)); }
HttpError not_found(std::string detail) { return HttpError(404, std::move(detail)); }
HttpError method_not_allowed(std::string allow) {
  std::string detail = "Allowed methods: " + allow + ".";
  return std::move(HttpError(405, std::move(detail)).with_header("Allow", std::move(allow)));
}
HttpError conflict(std::string detail) { return HttpError(409, std::move(detail)); }
HttpError precondition_failed(std::string detail) { return HttpError(412, std::move(detail)); }
HttpError payload_too_large(std::string detail) { return HttpError(413, std::move(detail)); }
HttpError unsupported_media_type(std::string detail) { return HttpError(415, std::move(detail)); }
HttpError unprocessable(std::vector<dto::FieldError> errors) {
  std::string detail = errors.size() == 1 ? "1 field is invalid."
                                          : std::to_string(errors.size()) + " fields are invalid.";
  return std::move(HttpError(422, std::move(detail))
                       .with_type("urn:micromax:problem:validation")
                       .with_field_errors(std::move(errors)));
}
HttpError too_many_requests(int retry_after_seconds, std::string detail) {
  return std::move(HttpError(429, std::move(detail))
                       .with_header("Retry-After", std::to_string(retry_after_seconds)));
}
HttpError header_fields_too_large(std::string detail) {
  return HttpError(431, std::move(detail));
}
HttpError service_unavailable(std::string detail, int retry_after_seconds) {
  HttpError e(503, std::move(detail));
  if (retry_after_seconds > 0) e.with_header("Retry-After", std::to_string(retry_after_seconds));
  return e;
}
HttpError internal_error() {
  return HttpError(500,
                   "The server failed to handle this request. Quote the request_id when "
                   "reporting it.");
}

}  // namespace mmx::errors
