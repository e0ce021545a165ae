#pragma once
// Errors a handler (or the kit) raises to answer with an RFC 9457 problem+json document.
// Throw them; the HTTP layer renders them, logs them and counts them.
#include <boost/json/object.hpp>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "mmx/dto/errors.hpp"

namespace mmx::errors {

class HttpError : public std::exception {
 public:
  explicit HttpError(int status, std::string detail = {}, std::string title = {});

  int status() const noexcept { return status_; }
  const std::string& title() const noexcept { return title_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& type() const noexcept { return type_; }
  const std::vector<dto::FieldError>& field_errors() const noexcept { return field_errors_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }
  const boost::json::object& extensions() const noexcept { return extensions_; }
  const char* what() const noexcept override { return what_.c_str(); }

  // A URI naming the problem type; "about:blank" (the default) means "see the status".
  HttpError& with_type(std::string uri);
  HttpError& with_header(std::string name, std::string value);
  HttpError& with_field_errors(std::vector<dto::FieldError> errors);
  HttpError& with_extension(const std::string& key, boost::json::value v);

 private:
  int status_;
  std::string title_, detail_, type_ = "about:blank", what_;
  std::vector<dto::FieldError> field_errors_;
  std::vector<std::pair<std::string, std::string>> headers_;
  boost::json::object extensions_;
};

HttpError bad_request(std::string detail);
HttpError unauthorized(std::string detail, std::string www_authenticate = "Bearer");
HttpError forbidden(std::string detail);
HttpError not_found(std::string detail = "The requested resource does not exist.");
HttpError method_not_allowed(std::string allow);
HttpError conflict(std::string detail);
HttpError precondition_failed(std::string detail);
HttpError payload_too_large(std::string detail);
HttpError unsupported_media_type(std::string detail);
HttpError unprocessable(std::vector<dto::FieldError> errors);
HttpError too_many_requests(int retry_after_seconds, std::string detail = "Too many requests.");
HttpError header_fields_too_large(std::string detail);
HttpError service_unavailable(std::string detail, int retry_after_seconds = 0);
HttpError internal_error();

std::string_view reason_phrase(int status) noexcept;

}  // namespace mmx::errors
