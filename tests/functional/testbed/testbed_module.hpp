#pragma once
#include "mmx/module/module.hpp"

namespace mmx::testbed {

module::Module make_testbed_module();

}  // namespace mmx::testbed
