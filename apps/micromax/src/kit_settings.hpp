#pragma once
#include "mmx/config/config.hpp"
#include "mmx/http/observe.hpp"
#include "mmx/http/server.hpp"

namespace mmx::app {

// Declares the settings of the binary itself: server, limits, timeouts, logs, tracing.
void declare_kit_settings(config::SettingRegistry& registry);

http::ServerOptions server_options(const config::Config& cfg);
http::CorsOptions cors_options(const config::Config& cfg);

}  // namespace mmx::app
