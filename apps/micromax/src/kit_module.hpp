#pragma once
#include <memory>

#include "kit_state.hpp"
#include "mmx/module/module.hpp"

namespace mmx::app {

// The "server" module every target depends on: /healthz, /readyz, /version, /metrics,
// /openapi.json, /docs, /redoc, /static and the landing page at /.
module::Module make_kit_module(std::shared_ptr<KitState> state);

// The landing page listing the running modules and where their docs are.
std::string render_landing_page(const KitState& state);

}  // namespace mmx::app
