#include "mmx/app/app.hpp"

int main(int argc, char** argv) {
  mmx::module::ModuleSet services;
  // Each microservice adds its module here as it arrives (auth, backend, ...).
  return mmx::app::run_main(argc, argv, std::move(services));
}
