#pragma once
// The demo data every service agrees on (`micromax seed`, MMX_DEMO_DATA=true): the demo
// users of each role, with ids derived from their emails so the auth service (which creates
// them) and the backend (whose demo orders belong to them) agree without calling each other.
#include <string>
#include <string_view>
#include <vector>

#include "mmx/config/config.hpp"

namespace mmx::models::demo {

struct DemoUser {
  std::string email;
  std::string full_name;
  std::string role;  // admin, staff or customer
};

// One admin, one staff member, then the customers (their orders make the history).
const std::vector<DemoUser>& users();

// A stable UUID (version 8, RFC 9562 "custom") from the email: the same on every machine.
std::string user_id(std::string_view email);

// The demo users' password when MMX_DEMO_PASSWORD is empty; accepted only with MMX_ENV=local.
inline constexpr std::string_view kLocalPassword = "demo-Passw0rd";

// MMX_DEMO_DATA and MMX_DEMO_PASSWORD, declared alike by every module that seeds.
void declare_demo_settings(config::SettingRegistry& registry);

// The password to give the demo users; throws std::runtime_error naming MMX_DEMO_PASSWORD
// when it is unset outside MMX_ENV=local.
std::string demo_password(const config::Config& cfg);

}  // namespace mmx::models::demo
