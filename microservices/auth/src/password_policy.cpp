#include "password_policy.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "mmx/dto/detail/check.hpp"

namespace mmx::auth_service {
namespace {

// The defaults of well-known templates and the top of every leaked-password list.
constexpr std::array<std::string_view, 36> kCommon = {
    "changethis", "changeme",  "password",      "password1",  "password123", "passw0rd",
    "p@ssw0rd",   "12345678",  "123456789",     "1234567890", "87654321",    "11111111",
    "00000000",   "qwerty123", "qwertyuiop",    "1q2w3e4r",   "1qaz2wsx",    "abc12345",
    "abcd1234",   "admin123",  "administrator", "letmein1",   "welcome1",    "iloveyou",
    "trustno1",   "football",  "baseball",      "sunshine",   "princess",    "superuser",
    "micromax",   "secret123", "monkey123",     "dragon123",  "master123",   "zaq12wsx"};

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

bool is_common_password(std::string_view password) {
  const std::string lower = lower_ascii(password);
  return std::find(kCommon.begin(), kCommon.end(), lower) != kCommon.end();
}

std::optional<std::string> check_email(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) return "must be 3 to 254 characters long";
  auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || at + 1 == email.size()) {
    return "must be an email address (name@domain)";
  }
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  constexpr std::string_view kAtext = "!#$%&'*+/=?^_`{|}~-.";
  for (char c : local) {
    if (!alnum(c) && kAtext.find(c) == std::string_view::npos) {
      return "has a character an address may not hold before the @";
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return "must not start, end or repeat dots before the @";
  }
  for (char c : domain) {
    if (!alnum(c) && c != '.' && c != '-') return "has a character a domain may not hold";
  }
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.front() == '-' || domain.find("..") != std::string_view::npos) {
    return "must have a domain like example.com after the @";
  }
  return std::nullopt;
}

std::optional<std::string> check_password(const PasswordPolicy& policy, std::string_view password,
                                          std::string_view email) {
  auto length = dto::detail::utf8_length(password);
  if (!length) return "must be valid UTF-8";
  if (*length < policy.min_length || *length > policy.max_length) {
    return "must be " + std::to_string(policy.min_length) + " to " +
           std::to_string(policy.max_length) + " characters long";
  }
  if (!email.empty() && lower_ascii(password) == lower_ascii(email)) {
    return "must not be the email address";
  }
  if (is_common_password(password)) return "is too common; choose another";
  return std::nullopt;
}

std::optional<std::string> check_strong_password(const PasswordPolicy& policy,
                                                 std::string_view password,
                                                 std::string_view email) {
  if (auto why = check_password(policy, password, email)) return why;
  if (*dto::detail::utf8_length(password) < 12) return "must be at least 12 characters long";
  std::set<char> distinct(password.begin(), password.end());
  if (distinct.size() < 5) return "must use at least 5 different characters";
  return std::nullopt;
}

}  // namespace mmx::auth_service
