#pragma once
// What a password must be. Lengths count Unicode code points (NIST SP 800-63B: no
// composition rules, a length floor, and a check against known-bad passwords).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mmx::auth_service {

struct PasswordPolicy {
  std::size_t min_length = 8;
  std::size_t max_length = 128;
};

// nullopt when acceptable; otherwise why not, in words for the user. Refused: outside the
// length bounds, not UTF-8, equal to the email (case-insensitively), or one of the
// passwords every guessing list starts with.
std::optional<std::string> check_password(const PasswordPolicy& policy, std::string_view password,
                                          std::string_view email);

// The first superuser outside MMX_ENV=local must do better than the policy: at least 12
// code points and at least 5 distinct characters, on top of check_password.
std::optional<std::string> check_strong_password(const PasswordPolicy& policy,
                                                 std::string_view password, std::string_view email);

bool is_common_password(std::string_view password);

// nullopt when `email` may name an account: a plain addr-spec (RFC 5322 atext and dots
// before the @, letters, digits, dots and hyphens after it), at most 254 characters. Quoted
// local parts, angle brackets, commas and the like are refused: they are legal in mail
// headers but only ever used to attack them.
std::optional<std::string> check_email(std::string_view email);

// ASCII lower case: how emails are compared (the domain is case-insensitive, and every
// provider treats the local part so too).
std::string lower_ascii(std::string_view s);

}  // namespace mmx::auth_service
