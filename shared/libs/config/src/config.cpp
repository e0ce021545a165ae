#include "mmx/config/config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "mmx/config/dotenv.hpp"
#include "mmx/config/parse.hpp"

namespace mmx::config {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out = "invalid configuration:";
  for (const auto& p : v) out += "\n  - " + p;
  return out;
}

std::string quoted(const Setting& s, const std::string& raw) {
  return s.secret ? std::string("(secret value hidden)") : "'" + raw + "'";
}

std::optional<std::string> read_secret_file(const std::string& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = "cannot read file " + path;
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string v = ss.str();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(join(problems)), problems_(std::move(problems)) {}

Config Config::load(const SettingRegistry& registry, const Sources& sources) {
  auto getenv = sources.getenv ? sources.getenv : [](const char* n) { return std::getenv(n); };
  std::map<std::string, std::string> file_values;
  std::string file_origin;
  if (sources.file) {
    file_values = read_dotenv(*sources.file);
    file_origin = "file:" + *sources.file;
  }

  std::vector<std::string> problems;
  Config cfg;
  const char* env_name = getenv("MMX_ENV");
  std::string mmx_env = env_name ? env_name : "";
  if (auto it = sources.flags.find("MMX_ENV"); it != sources.flags.end()) mmx_env = it->second;
  if (mmx_env.empty()) {
    if (auto it = file_values.find("MMX_ENV"); it != file_values.end()) mmx_env = it->second;
  }
  if (mmx_env.empty()) {
    if (const Setting* s = registry.find("MMX_ENV")) mmx_env = s->default_value;
  }

  for (const auto& [name, _] : file_values) {
    if (!registry.find(name) && !(name.size() > 5 && name.ends_with("_FILE") &&
                                  registry.find(name.substr(0, name.size() - 5)))) {
      problems.push_back(name + ": unknown setting in config file " + *sources.file);
    }
  }

  for (const Setting& s : registry.all()) {
    Value v;
    bool found = false;
    if (auto it = sources.flags.find(s.name); it != sources.flags.end()) {
      v.raw = it->second;
      v.origin = "flag";
      found = true;
    }
    if (!found) {
      if (const char* e = getenv(s.name.c_str())) {
        v.raw = e;
        v.origin = "env";
        found = true;
      }
    }
    if (!found && s.secret) {
      std::string file_var = s.name + "_FILE";
      const char* f = getenv(file_var.c_str());
      std::string path = f ? f : "";
      if (path.empty()) {
        if (auto it = file_values.find(file_var); it != file_values.end()) path = it->second;
      }
      if (!path.empty()) {
        std::string problem;
        if (auto content = read_secret_file(path, problem)) {
          v.raw = *content;
          v.origin = "env:" + file_var;
          found = true;
        } else {
          problems.push_back(file_var + ": " + problem);
          continue;
        }
      }
    }
    if (!found) {
      if (auto it = file_values.find(s.name); it != file_values.end()) {
        v.raw = it->second;
        v.origin = file_origin;
        found = true;
      }
    }
    if (!found) {
      v.raw = s.default_value;
      v.origin = "default";
    }

    if (v.raw.empty()) {
      if (s.required) problems.push_back(s.name + ": required but not set");
      cfg.values_[s.name] = std::move(v);
      continue;
    }
    if (s.local_only_default && v.origin == "default" && mmx_env != "local") {
      problems.push_back(s.name + ": the built-in development default is refused outside "
                         "MMX_ENV=local; set it (or " + s.name + "_FILE) to a real value "
                         "(scripts/gen-secret.sh prints one)");
    }

    auto bad = [&](const std::string& expected) {
      problems.push_back(s.name + ": expected " + expected + ", got " + quoted(s, v.raw) +
                         " (from " + v.origin + ")");
    };
    auto check_range = [&](std::int64_t n, const std::string& what) {
      if (n < s.min || n > s.max) {
        bad(what + " between " + std::to_string(s.min) + " and " + std::to_string(s.max));
        return false;
      }
      return true;
    };
    switch (s.kind) {
      case Kind::string:
      case Kind::path:
        break;
      case Kind::url:
        if (v.raw.find("://") == std::string::npos && v.raw.rfind("sqlite:", 0) != 0) {
          bad("a URL like scheme://host:port/path");
        }
        break;
      case Kind::integer:
        if (auto n = parse_integer(v.raw)) {
          if (check_range(*n, "an integer")) v.number = *n;
        } else {
          bad("an integer");
        }
        break;
      case Kind::boolean:
        if (auto b = parse_boolean(v.raw)) {
          v.number = *b;
        } else {
          bad("true or false");
        }
        break;
      case Kind::duration:
        if (auto ms = parse_duration_ms(v.raw)) {
          if (check_range(*ms, "a duration in ms")) v.number = *ms;
        } else {
          bad("a duration such as 500ms, 30s, 5m");
        }
        break;
      case Kind::size:
        if (auto n = parse_size(v.raw); n && *n <= static_cast<std::uint64_t>(INT64_MAX)) {
          if (check_range(static_cast<std::int64_t>(*n), "a size in bytes")) {
            v.number = static_cast<std::int64_t>(*n);
          }
        } else {
          bad("a size such as 1048576, 64KiB, 10MiB");
        }
        break;
      case Kind::host_port:
        if (auto hp = parse_host_port(v.raw)) {
          v.hp = *hp;
        } else {
          bad("HOST:PORT such as 127.0.0.1:8000 or [::1]:8000");
        }
        break;
      case Kind::choice: {
        bool ok = false;
        std::string list;
        for (const auto& c : s.choices) {
          ok = ok || c == v.raw;
          list += (list.empty() ? "" : ", ") + c;
        }
        if (!ok) bad("one of " + list);
        break;
      }
    }
    cfg.values_[s.name] = std::move(v);
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  cfg.values_["MMX_ENV"].raw = mmx_env;
  return cfg;
}

const Config::Value& Config::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("setting " + name + " was never declared");
  return it->second;
}

const std::string& Config::string(const std::string& name) const { return get(name).raw; }
std::int64_t Config::integer(const std::string& name) const { return get(name).number; }
bool Config::boolean(const std::string& name) const { return get(name).number != 0; }
std::chrono::milliseconds Config::duration(const std::string& name) const {
  return std::chrono::milliseconds(get(name).number);
}
HostPort Config::host_port(const std::string& name) const { return get(name).hp; }
std::uint64_t Config::size(const std::string& name) const {
  return static_cast<std::uint64_t>(get(name).number);
}
bool Config::is_set(const std::string& name) const { return !get(name).raw.empty(); }
const std::string& Config::origin(const std::string& name) const { return get(name).origin; }
bool Config::is_local() const {
  auto it = values_.find("MMX_ENV");
  return it != values_.end() && it->second.raw == "local";
}

}  // namespace mmx::config
