#include "mmx/app/app.hpp"
#include "data_module.hpp"
#include "testbed_module.hpp"

int main(int argc, char** argv) {
  mmx::module::ModuleSet services;
  services.add(mmx::testbed::make_testbed_module());
  services.add(mmx::testbed::make_data_module());
  return mmx::app::run_main(argc, argv, std::move(services));
}
