#pragma once
// The text formats the token endpoints read besides JSON: application/x-www-form-urlencoded
// bodies (RFC 6749 §3.2), HTTP Basic client credentials (RFC 6749 §2.3.1) and the Cookie
// header. Pure functions, unit-tested (tests/form_test.cpp).
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmx::auth_service {

// A request the endpoint cannot read at all; `field` names the parameter ("" = the body).
class FormError : public std::runtime_error {
 public:
  FormError(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

struct FormLimits {
  std::size_t max_fields = 32;
  std::size_t max_value_bytes = 8192;  // the longest token or password we would accept
};

class Form {
 public:
  // Throws FormError for a malformed percent-escape, a name or value that is not UTF-8 or
  // holds a control character, a parameter sent twice (RFC 6749 §3.1: "MUST NOT be included
  // more than once"), too many parameters or a value over the limit.
  static Form parse(std::string_view body, const FormLimits& limits = {});

  // The value; nullopt when absent or empty (RFC 6749 §3.1: "Parameters sent without a
  // value MUST be treated as if they were omitted"). Unknown parameters are ignored.
  std::optional<std::string> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct BasicCredentials {
  std::string user;
  std::string password;
};

// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`. nullopt when the header
// uses another scheme or is Basic with an empty id and secret (what Swagger UI sends when
// its client fields are left empty); throws FormError("authorization") when it is Basic
// but does not decode.
std::optional<BasicCredentials> parse_basic_auth(std::string_view authorization);

// The value of cookie `name` in a Cookie header ("a=1; b=2"); nullopt when absent.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// Standard base64 (RFC 4648 §4), padded or not; nullopt on any other character or on
// stray bits in the last character.
std::optional<std::string> base64_decode(std::string_view text);

// Valid UTF-8 without C0 controls or DEL (what a form value may hold).
bool is_clean_text(std::string_view text);

}  // namespace mmx::auth_service
