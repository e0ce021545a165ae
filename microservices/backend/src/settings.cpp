#include "settings.hpp"

#include "mmx/auth/settings.hpp"
#include "mmx/cache/cache.hpp"
#include "mmx/db/service_database.hpp"
#include "mmx/models/demo.hpp"

namespace mmx::backend {

using config::Kind;

void declare_settings(config::SettingRegistry& r) {
  db::declare_service_database(r, kService);
  cache::declare_cache_settings(r);
  auth::declare_service_api_key(r, kService);  // MMX_BACKEND_API_KEY, for /internal/v1
  models::demo::declare_demo_settings(r);
  auto add = [&](std::string name, Kind kind, std::string def, std::string help, std::int64_t min,
                 std::int64_t max) {
    r.add(config::make_setting(std::move(name), kind, std::move(def), std::move(help), kService,
                               min, max));
  };
  add("MMX_BACKEND_PAGE_SIZE", Kind::integer, "20",
      "Products or orders per page when a request gives no limit.", 1, 1000);
  add("MMX_BACKEND_PAGE_MAX", Kind::integer, "100",
      "Largest limit a list request may ask for (more is a 422).", 1, 1000);
  add("MMX_BACKEND_BULK_MAX", Kind::integer, "10000",
      "Products per call of the private bulk upsert (PUT /internal/v1/products).", 1, 100'000);
  add("MMX_BACKEND_BULK_BODY_LIMIT", Kind::size, "16MiB",
      "Largest body of the bulk upsert (other routes keep MMX_BODY_LIMIT).", 1024, 1LL << 30);
}

BackendSettings load_settings(const config::Config& cfg) {
  BackendSettings s;
  s.page_default = cfg.integer("MMX_BACKEND_PAGE_SIZE");
  s.page_max = cfg.integer("MMX_BACKEND_PAGE_MAX");
  if (s.page_default > s.page_max) {
    throw std::runtime_error("MMX_BACKEND_PAGE_SIZE (" + std::to_string(s.page_default) +
                             ") must not exceed MMX_BACKEND_PAGE_MAX (" +
                             std::to_string(s.page_max) + ")");
  }
  s.bulk_max = cfg.integer("MMX_BACKEND_BULK_MAX");
  s.import_body_limit = cfg.size("MMX_BACKEND_BULK_BODY_LIMIT");
  s.demo_data = cfg.boolean("MMX_DEMO_DATA");
  return s;
}

}  // namespace mmx::backend
