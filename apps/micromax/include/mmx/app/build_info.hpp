#pragma once
#include <string>

namespace mmx::app {

struct BuildInfo {
  std::string version, commit, compiler, build_type;
};
const BuildInfo& build_info();

}  // namespace mmx::app
