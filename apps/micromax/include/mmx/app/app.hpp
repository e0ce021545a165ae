#pragma once
#include "mmx/module/module.hpp"

namespace mmx::app {

// The whole program: parses the command line, loads configuration, resolves targets,
// mounts the modules and serves until SIGTERM/SIGINT. `services` are the modules linked
// into this binary (the testbed adds its test module). Returns the exit code.
int run_main(int argc, char** argv, module::ModuleSet services);

}  // namespace mmx::app
