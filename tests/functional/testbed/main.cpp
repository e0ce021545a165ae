#include "mmx/app/app.hpp"
#include "testbed_module.hpp"

int main(int argc, char** argv) {
  mmx::module::ModuleSet services;
  services.add(mmx::testbed::make_testbed_module());
  return mmx::app::run_main(argc, argv, std::move(services));
}
