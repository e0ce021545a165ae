#pragma once
// RFC 6749 §5.2 error responses of the token, revocation and introspection endpoints:
// {"error": "...", "error_description": "..."} with Cache-Control: no-store, 400 by default,
// 401 + WWW-Authenticate: Basic for invalid_client. (The rest of the service answers in
// problem+json like every MicroMax service.)
#include <exception>
#include <string>

#include "mmx/http/response.hpp"

namespace mmx::auth_service {

class OAuthError : public std::exception {
 public:
  OAuthError(std::string error, std::string description, int status = 400)
      : error_(std::move(error)), description_(std::move(description)), status_(status) {}
  const char* what() const noexcept override { return description_.c_str(); }
  const std::string& error() const noexcept { return error_; }
  const std::string& description() const noexcept { return description_; }
  int status() const noexcept { return status_; }
  int retry_after() const noexcept { return retry_after_; }
  OAuthError& with_retry_after(int seconds) {
    retry_after_ = seconds;
    return *this;
  }

 private:
  std::string error_, description_;
  int status_;
  int retry_after_ = 0;
};

OAuthError invalid_request(std::string description);
OAuthError invalid_grant(std::string description);
OAuthError invalid_scope(std::string description);
OAuthError invalid_client(std::string description = "Client authentication failed.");
OAuthError unauthorized_client(std::string description);
OAuthError unsupported_grant_type(std::string description);

http::Response oauth_error_response(const OAuthError& e);

// Token responses must not be cached (RFC 6749 §5.1).
http::Response& no_store(http::Response& r);

}  // namespace mmx::auth_service
