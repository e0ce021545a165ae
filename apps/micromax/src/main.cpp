#include "mmx/app/app.hpp"
#include "mmx/auth/auth_module.hpp"
#include "mmx/auth_service/auth_service.hpp"

int main(int argc, char** argv) {
  mmx::module::ModuleSet services;
  // The bearer-token verifier, once, for every service with protected routes.
  services.add(mmx::auth::make_auth_verifier_module());
  // Each microservice adds its module here as it arrives (backend, ...).
  services.add(mmx::auth_service::make_module());
  return mmx::app::run_main(argc, argv, std::move(services));
}
