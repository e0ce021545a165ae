#pragma once
// Loads and validates every declared setting at start-up. Precedence, highest first:
// command-line flags, environment (NAME, then NAME_FILE for secrets), the config file
// (dotenv format: NAME=value lines), the declared default.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mmx/config/settings.hpp"

namespace mmx::config {

// One message per bad setting, each naming it; what() joins them.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const noexcept { return problems_; }

 private:
  std::vector<std::string> problems_;
};

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

struct Sources {
  std::map<std::string, std::string> flags;      // from the command line, by setting name
  std::function<const char*(const char*)> getenv = nullptr;  // defaults to ::getenv
  std::optional<std::string> file;               // path of the config file
};

class Config {
 public:
  // Throws ConfigError listing every invalid, missing or refused setting.
  static Config load(const SettingRegistry& registry, const Sources& sources);

  const std::string& string(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  bool boolean(const std::string& name) const;
  std::chrono::milliseconds duration(const std::string& name) const;
  HostPort host_port(const std::string& name) const;
  std::uint64_t size(const std::string& name) const;  // bytes
  bool is_set(const std::string& name) const;         // not empty
  // Where the value came from: "flag", "env", "file:PATH", "default".
  const std::string& origin(const std::string& name) const;
  // True when MMX_ENV is "local" (development); relaxes the default-secret rule.
  bool is_local() const;

 private:
  struct Value {
    std::string raw;
    std::string origin;
    std::int64_t number = 0;  // integer, duration in ms, size in bytes, boolean 0/1
    HostPort hp;
  };
  const Value& get(const std::string& name) const;
  std::map<std::string, Value> values_;
};

}  // namespace mmx::config
