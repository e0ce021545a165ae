#pragma once
// The demo users of shared/models/demo.hpp (`micromax seed`, MMX_DEMO_DATA=true), created
// with their fixed ids so other services' demo data can refer to them. A user whose email
// exists already is left alone, so seeding twice changes nothing.
#include <cstdint>
#include <string>

#include "service.hpp"

namespace mmx::auth_service {

// Returns how many users were created.
awaitable<std::int64_t> seed_demo_users(Service& svc, std::string password);

}  // namespace mmx::auth_service
