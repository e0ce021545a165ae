#include "demo_users.hpp"

#include "mmx/models/demo.hpp"
#include "request_util.hpp"
#include "routes.hpp"
#include "users.hpp"

namespace mmx::auth_service {

awaitable<std::int64_t> seed_demo_users(Service& svc, std::string password) {
  std::int64_t created = 0;
  for (const auto& u : models::demo::users()) {
    auto existing = co_await find_user_by_email(*svc.db, lower_ascii(u.email));
    if (existing) continue;
    NewUser fresh{models::demo::user_id(u.email), u.email, password, u.full_name, {u.role}, true};
    AuditEntry entry{"system", "user.create", "", "", "demo data (" + u.role + ")", true};
    co_await create_user(svc, std::move(fresh), std::move(entry), "");
    ++created;
  }
  co_return created;
}

}  // namespace mmx::auth_service
