#include <iostream>

#include "audit.hpp"
#include "bootstrap.hpp"
#include "demo_users.hpp"
#include "mmx/auth/auth_module.hpp"
#include "mmx/auth/settings.hpp"
#include "mmx/auth_service/auth_service.hpp"
#include "mmx/broker/service_broker.hpp"
#include "mmx/db/service_database.hpp"
#include "mmx/log/log.hpp"
#include "mmx/module/run_sync.hpp"
#include "mmx/models/demo.hpp"
#include "routes.hpp"

namespace mmx::migrations {
const std::vector<db::MigrationFile>& auth();
}

namespace mmx::auth_service {

namespace asio = boost::asio;

namespace {

using module::run_sync;

asio::awaitable<bool> start(std::shared_ptr<Service> svc) {
  co_await bootstrap(*svc);
  co_return true;
}

void mount_routes(http::Router& router, const std::shared_ptr<Service>& svc) {
  mount_token_routes(router, svc);
  mount_oidc_routes(router, svc);
  mount_account_routes(router, svc);
  mount_admin_routes(router, svc);
}

void init(module::Context& ctx) {
  if (ctx.docs_only) {
    // `micromax openapi`: the routes alone. Their handlers never run, so the service has
    // default settings, no database, no keys and no outbox, and no setting or secret is read.
    mount_routes(ctx.router, std::make_shared<Service>(AuthSettings{}, nullptr, ctx.workers));
    return;
  }
  AuthSettings settings = load_settings(ctx.config);
  auto db = db::open_service_database(ctx, kService, migrations::auth());
  if (ctx.migrate_only) return;
  init_mail();
  auto svc = std::make_shared<Service>(std::move(settings), db, ctx.workers);
  svc->verifier = std::make_unique<auth::TokenVerifier>(auth::verifier_options(ctx.config));
  svc->outbox = broker::open_service_broker(ctx, kService, db).outbox;
  run_sync(start(svc));
  if (ctx.config.boolean("MMX_DEMO_DATA")) {
    const std::int64_t n = run_sync(seed_demo_users(*svc, models::demo::demo_password(ctx.config)));
    if (n > 0) log::info("auth", "demo users created", {{"users", n}});
  }
  log::info("auth", "token issuer",
            {{"issuer", svc->settings.issuer},
             {"signup", svc->settings.signup},
             {"access_token_ttl_s", svc->settings.access_ttl.count()},
             {"smtp", !svc->settings.mail.url.empty()}});
  mount_routes(ctx.router, svc);
  ctx.add_background_task("auth-purge", [svc] { return run_purge(svc); });
}

asio::awaitable<int> rotate_keys(module::Context& ctx, std::vector<std::string> args) {
  if (!args.empty()) {
    std::cerr << "usage: micromax auth rotate-keys [flags]\n";
    co_return 2;
  }
  AuthSettings settings = load_settings(ctx.config);
  auto db = db::open_service_database(ctx, kService, migrations::auth());
  KeyManager keys(
      db, ctx.workers, KeyCrypto(settings.key_encryption_key),
      {settings.key_cache, settings.key_activation_delay, settings.access_ttl + settings.leeway});
  Rotation r = co_await keys.rotate();
  co_await audit(*db, "system", "keys.rotate", r.kid, "", "micromax auth rotate-keys", true);
  const auto from = std::chrono::system_clock::time_point(std::chrono::seconds(r.activates_at));
  std::cout << "new signing key " << r.kid << ", signing from " << dto::format_date_time(from)
            << "\n";
  if (r.previous_kid) {
    std::cout << "previous key " << *r.previous_kid
              << " signs until then and stays in the JWKS until its tokens have expired\n";
  }
  co_return 0;
}

}  // namespace

module::Module make_module() {
  module::Module m;
  m.name = kService;
  m.description =
      "Identity: users, roles, OAuth 2.0 / OpenID Connect token issuer (RS256 JWT + JWKS), "
      "service clients, audit trail.";
  m.dependencies = {auth::kVerifierModule};
  m.docs_path = "/docs#/auth";
  m.declare_settings = declare_settings;
  m.init = init;
  m.seed = [](module::Context& ctx) -> asio::awaitable<void> {
    const std::string password = models::demo::demo_password(ctx.config);
    AuthSettings settings = load_settings(ctx.config);
    auto db = db::open_service_database(ctx, kService, migrations::auth());
    auto svc = std::make_shared<Service>(std::move(settings), db, ctx.workers);
    svc->outbox = broker::open_service_broker(ctx, kService, db).outbox;
    co_await bootstrap(*svc);
    const std::int64_t n = co_await seed_demo_users(*svc, password);
    std::cout << "auth: " << n << " demo users created (" << models::demo::users().size() - n
              << " present already)\n";
  };
  m.commands.push_back({"auth rotate-keys",
                        "new signing key; the old one verifies until its tokens expire",
                        rotate_keys});
  return m;
}

}  // namespace mmx::auth_service
