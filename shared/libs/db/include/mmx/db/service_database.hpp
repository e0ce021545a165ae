#pragma once
// How a service gets its database: settings, URL resolution, start-up wait, migrations and
// the readiness check, in one call from the module's init:
//
//   auto db = db::open_service_database(ctx, "backend", backend_migrations());
//
// URL per service: MMX_<SERVICE>_DATABASE_URL; else MMX_DATABASE_URL shared by all (a
// PostgreSQL URL gives each service its own schema, a `sqlite:DIR` its own file in DIR);
// else sqlite:<data dir>/<service>.db.
#include <memory>
#include <string>
#include <vector>

#include "mmx/config/config.hpp"
#include "mmx/db/database.hpp"
#include "mmx/db/migrations.hpp"
#include "mmx/module/module.hpp"

namespace mmx::db {

// The settings shared by every service's database (declared once, by the binary).
void declare_database_settings(config::SettingRegistry& registry);
// MMX_<SERVICE>_DATABASE_URL, in the service's settings group.
void declare_service_database(config::SettingRegistry& registry, const std::string& service);
std::string service_url_setting(const std::string& service);

struct ResolvedUrl {
  std::string setting;  // which setting it came from ("" = the built-in default)
  DatabaseUrl url;
};
// Throws std::runtime_error naming the setting (never the password).
ResolvedUrl resolve_service_url(const config::Config& cfg, const std::string& service,
                                const std::string& data_dir);
DatabaseOptions service_database_options(const config::Config& cfg, const std::string& service,
                                         const std::string& data_dir);

// Opens, waits (bounded) for the server, migrates (unless MMX_DB_MIGRATE=false; always in
// `micromax migrate`), registers the readiness check "database:<service>". Throws
// std::runtime_error with a message naming the setting, never the password.
std::shared_ptr<Database> open_service_database(module::Context& ctx, const std::string& service,
                                                const std::vector<MigrationFile>& migrations);

}  // namespace mmx::db
