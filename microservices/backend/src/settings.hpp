#pragma once
// The backend's settings (group "backend"; README.md lists them with their defaults).
#include <cstdint>

#include "mmx/config/config.hpp"

namespace mmx::backend {

inline constexpr const char* kService = "backend";

struct BackendSettings {
  std::int64_t page_default = 20;
  std::int64_t page_max = 100;
  std::int64_t bulk_max = 10'000;              // products per bulk upsert
  std::uint64_t import_body_limit = 16 << 20;  // bytes, the bulk upsert's body
  bool demo_data = false;                      // seed the demo catalog and orders at start
};

void declare_settings(config::SettingRegistry& registry);
BackendSettings load_settings(const config::Config& cfg);

}  // namespace mmx::backend
