#include <iostream>

#include "mmx/auth/auth_module.hpp"
#include "mmx/backend/backend_service.hpp"
#include "mmx/broker/service_broker.hpp"
#include "mmx/cache/cache.hpp"
#include "mmx/db/service_database.hpp"
#include "mmx/log/log.hpp"
#include "mmx/module/run_sync.hpp"
#include "routes.hpp"
#include "seed.hpp"

namespace mmx::migrations {
const std::vector<db::MigrationFile>& backend();
}

namespace mmx::backend {

namespace asio = boost::asio;

namespace {

using module::run_sync;

std::shared_ptr<Service> open_service(module::Context& ctx, bool with_cache) {
  auto svc = std::make_shared<Service>();
  svc->settings = load_settings(ctx.config);
  svc->db = db::open_service_database(ctx, kService, migrations::backend());
  if (ctx.migrate_only) return svc;
  svc->outbox = broker::open_service_broker(ctx, kService, svc->db).outbox;
  if (with_cache) svc->cache = std::make_unique<ProductCache>(cache::open_cache(ctx, kService));
  return svc;
}

void report(const SeedReport& r) {
  if (r.already) {
    std::cout << "backend: demo data present already, nothing to do\n";
  } else {
    std::cout << "backend: " << r.products << " products, " << r.orders << " orders\n";
  }
}

void init(module::Context& ctx) {
  std::shared_ptr<Service> svc;
  if (ctx.docs_only) {
    // Routes only: their handlers never run, so nothing is opened.
    svc = std::make_shared<Service>();
    svc->settings = load_settings(ctx.config);
  } else {
    svc = open_service(ctx, /*with_cache=*/true);
    if (ctx.migrate_only) return;
    if (svc->settings.demo_data) {
      SeedReport r = run_sync(seed_demo_data(*svc));
      if (!r.already) {
        log::info("backend", "demo data created", {{"products", r.products}, {"orders", r.orders}});
      }
    }
  }
  mount_product_routes(ctx.router, svc);
  mount_order_routes(ctx.router, svc);
  mount_internal_routes(ctx.router, svc);
}

}  // namespace

module::Module make_module() {
  module::Module m;
  m.name = kService;
  m.description =
      "Public catalog and orders API (/api/v1), private API for services (/internal/v1), "
      "catalog and order events.";
  m.dependencies = {auth::kVerifierModule};
  m.docs_path = "/docs#/backend";
  m.declare_settings = declare_settings;
  m.init = init;
  m.seed = [](module::Context& ctx) -> asio::awaitable<void> {
    // Through the outbox like live orders, so the events reach the pipelines too. No cache:
    // a command has no readers to serve.
    auto svc = open_service(ctx, /*with_cache=*/false);
    SeedReport r = co_await seed_demo_data(*svc);
    report(r);
  };
  return m;
}

}  // namespace mmx::backend
