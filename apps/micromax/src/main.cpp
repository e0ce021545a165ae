#include <iostream>
#include <set>
#include <sstream>

#include "mmx/app/app.hpp"
#include "mmx/auth/auth_module.hpp"
#include "mmx/auth_service/auth_service.hpp"
#include "mmx/backend/backend_service.hpp"

namespace {

// `micromax seed [--target X]`: every selected service's demo data, in registration order
// (auth's demo users before the backend's orders that belong to them). Each seed is
// idempotent, so running it again is harmless.
mmx::module::Module seed_module(const mmx::module::ModuleSet& services) {
  struct Seeder {
    std::string name;
    std::function<boost::asio::awaitable<void>(mmx::module::Context&)> seed;
  };
  std::vector<Seeder> seeders;
  for (const auto& m : services.all()) {
    if (m.seed) seeders.push_back({m.name, m.seed});
  }
  mmx::module::Module m;
  m.name = "demo";
  m.description = "The `micromax seed` command.";
  m.is_target = false;
  m.commands.push_back(
      {"seed",
       "create the demo data of the selected services (users, catalog, 90 days of orders); "
       "idempotent",
       [seeders](mmx::module::Context& ctx,
                 std::vector<std::string> args) -> boost::asio::awaitable<int> {
         if (!args.empty()) {
           std::cerr << "usage: micromax seed [--target X]\n";
           co_return 2;
         }
         std::set<std::string> wanted;
         std::stringstream targets(ctx.config.string("MMX_TARGET"));
         for (std::string t; std::getline(targets, t, ',');) wanted.insert(t);
         for (const Seeder& s : seeders) {
           if (!wanted.count("all") && !wanted.count(s.name)) continue;
           co_await s.seed(ctx);
         }
         co_return 0;
       }});
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  mmx::module::ModuleSet services;
  // The bearer-token verifier, once, for every service with protected routes.
  services.add(mmx::auth::make_auth_verifier_module());
  // Each microservice adds its module here as it arrives (admin_panel, ...).
  services.add(mmx::auth_service::make_module());
  services.add(mmx::backend::make_module());
  services.add(seed_module(services));
  return mmx::app::run_main(argc, argv, std::move(services));
}
