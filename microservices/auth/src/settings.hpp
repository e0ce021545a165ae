#pragma once
// The auth service's settings (group "auth"; README.md lists them with their defaults).
// Issuer, audience and leeway are shared/auth's, so issuer and verifiers always agree.
#include <chrono>
#include <string>
#include <vector>

#include "lockout.hpp"
#include "mailer.hpp"
#include "mmx/auth/password.hpp"
#include "mmx/config/config.hpp"
#include "password_policy.hpp"

namespace mmx::auth_service {

inline constexpr const char* kService = "auth";

struct AuthSettings {
  std::string issuer;                  // `iss` of every token we sign
  std::vector<std::string> audiences;  // `aud`: a string when one, else an array
  std::chrono::seconds access_ttl{900};
  std::chrono::seconds refresh_ttl{std::chrono::hours(24 * 14)};
  std::chrono::seconds leeway{30};
  std::chrono::seconds key_cache{5};
  std::chrono::seconds key_activation_delay{0};
  std::chrono::seconds recovery_ttl{1800};
  bool signup = true;
  auth::PasswordHashParams hash;
  PasswordPolicy password;
  LockoutPolicy lockout;
  double rate_per_minute = 30;
  double rate_burst = 10;
  bool trust_forwarded_for = false;
  bool cookie_secure = true;
  std::string cookie_name = "mmx_refresh";
  std::string cookie_path = "/auth";
  MailSettings mail;
  std::string recovery_url;  // the link in the email; the token is appended
  std::string first_superuser, first_superuser_password;
  std::string key_encryption_key;  // "" only with MMX_ENV=local (a built-in development key)
  bool local = false;
};

void declare_settings(config::SettingRegistry& registry);

// Throws std::runtime_error naming the setting for a combination start-up must refuse
// (Secure cookies off, or no key-encryption key, outside MMX_ENV=local).
AuthSettings load_settings(const config::Config& cfg);

}  // namespace mmx::auth_service
