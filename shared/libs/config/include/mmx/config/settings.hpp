#pragma once
// Settings are declared as data (name, type, default, help) by the kit and by each module;
// one declaration drives parsing, validation, `micromax --help` and the docs.
#include <cstdint>
#include <string>
#include <vector>

namespace mmx::config {

enum class Kind { string, integer, boolean, duration, host_port, choice, url, path, size };

struct Setting {
  std::string name;           // env var, e.g. "MMX_LISTEN"
  Kind kind = Kind::string;
  std::string default_value;  // as the user would write it; "" = unset
  std::string help;
  std::string group = "server";  // groups the --help output (server, log, a module's name)
  std::vector<std::string> choices;  // Kind::choice
  std::int64_t min = INT64_MIN;      // Kind::integer / Kind::size / Kind::duration (ms)
  std::int64_t max = INT64_MAX;
  bool secret = false;  // may come from NAME_FILE; never printed
  // A default that is only acceptable for local development (a demo password, say):
  // start-up refuses it unless MMX_ENV=local.
  bool local_only_default = false;
  bool required = false;  // must be set (no usable default)
};

// A setting in one expression, for the common attributes.
Setting make_setting(std::string name, Kind kind, std::string default_value, std::string help,
                     std::string group, std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);

// The declared settings; modules add theirs before Config::load runs.
class SettingRegistry {
 public:
  // Declaring the same name twice with different attributes is a programming error.
  void add(Setting s);
  const Setting* find(const std::string& name) const;
  const std::vector<Setting>& all() const { return settings_; }

 private:
  std::vector<Setting> settings_;
};

// Renders the settings for `micromax --help`, grouped, with defaults.
std::string render_help(const SettingRegistry& registry);

}  // namespace mmx::config
