#include "mmx/config/settings.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace mmx::config {

Setting make_setting(std::string name, Kind kind, std::string default_value, std::string help,
                     std::string group, std::int64_t min, std::int64_t max) {
  Setting s;
  s.name = std::move(name);
  s.kind = kind;
  s.default_value = std::move(default_value);
  s.help = std::move(help);
  s.group = std::move(group);
  s.min = min;
  s.max = max;
  return s;
}

void SettingRegistry::add(Setting s) {
  if (s.name.rfind("MMX_", 0) != 0) {
    throw std::logic_error("setting " + s.name + " must start with MMX_");
  }
  if (const Setting* old = find(s.name)) {
    if (old->kind != s.kind || old->default_value != s.default_value) {
      throw std::logic_error("setting " + s.name + " declared twice with different attributes");
    }
    return;
  }
  settings_.push_back(std::move(s));
}

const Setting* SettingRegistry::find(const std::string& name) const {
  for (const auto& s : settings_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

namespace {

std::string_view kind_name(const Setting& s) {
  switch (s.kind) {
    case Kind::string: return "string";
    case Kind::integer: return "integer";
    case Kind::boolean: return "bool";
    case Kind::duration: return "duration";
    case Kind::host_port: return "host:port";
    case Kind::choice: return "choice";
    case Kind::url: return "url";
    case Kind::path: return "path";
    case Kind::size: return "size";
  }
  return "string";
}

}  // namespace

std::string render_help(const SettingRegistry& registry) {
  std::map<std::string, std::vector<const Setting*>> groups;
  std::vector<std::string> order;
  for (const auto& s : registry.all()) {
    if (!groups.count(s.group)) order.push_back(s.group);
    groups[s.group].push_back(&s);
  }
  std::string out;
  for (const auto& g : order) {
    out += "\n" + g + ":\n";
    for (const Setting* s : groups[g]) {
      out += "  " + s->name + " (" + std::string(kind_name(*s));
      if (s->kind == Kind::choice) {
        out += ": ";
        for (std::size_t i = 0; i < s->choices.size(); ++i) {
          out += (i ? "|" : "") + s->choices[i];
        }
      }
      out += ")";
      if (s->secret) out += " [secret; also " + s->name + "_FILE]";
      out += "\n      " + s->help + "\n";
      if (s->required) {
        out += "      required\n";
      } else if (s->local_only_default && !s->default_value.empty()) {
        // A demo secret: refused outside MMX_ENV=local, and not worth advertising.
        out += "      default: (a development-only value)\n";
      } else {
        out += "      default: " + (s->default_value.empty() ? "(unset)" : s->default_value) + "\n";
      }
    }
  }
  return out;
}

}  // namespace mmx::config
