#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

#include "mmx/config/parse.hpp"

#include "mmx/module/module.hpp"

namespace mmx::module {

void ModuleSet::add(Module m) {
  if (find(m.name)) throw std::logic_error("module " + m.name + " added twice");
  for (const auto& c : m.commands) {
    if (c.name.empty() || !c.run)
      throw std::logic_error("module " + m.name + ": a command needs a name and a function");
    for (const auto& other : modules_) {
      for (const auto& oc : other.commands) {
        if (oc.name == c.name) {
          throw std::logic_error("command '" + c.name + "' declared by " + other.name + " and " +
                                 m.name);
        }
      }
    }
  }
  modules_.push_back(std::move(m));
}

const Module* ModuleSet::find(const std::string& name) const {
  for (const auto& m : modules_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<const Module*> ModuleSet::resolve(const std::string& targets) const {
  std::vector<std::string> wanted;
  for (const std::string& t : config::split_list(targets)) {
    if (t == "all") {
      for (const auto& m : modules_) wanted.push_back(m.name);
    } else {
      const Module* m = find(t);
      if (!m) {
        std::string known = "all";
        for (const auto& mm : modules_) {
          if (mm.is_target) known += ", " + mm.name;
        }
        throw std::invalid_argument("unknown target '" + t + "' (known: " + known + ")");
      }
      wanted.push_back(m->name);
    }
  }
  if (wanted.empty()) throw std::invalid_argument("no target given");

  std::vector<const Module*> order;
  std::set<std::string> done, visiting;
  std::function<void(const std::string&, const std::string&)> visit =
      [&](const std::string& name, const std::string& from) {
        if (done.count(name)) return;
        const Module* m = find(name);
        if (!m) {
          throw std::invalid_argument("module " + from + " depends on unknown module " + name);
        }
        if (!visiting.insert(name).second) {
          throw std::invalid_argument("module dependency cycle through " + name);
        }
        for (const auto& d : m->dependencies) visit(d, name);
        visiting.erase(name);
        done.insert(name);
        order.push_back(m);
      };
  for (const auto& w : wanted) visit(w, w);
  return order;
}

std::optional<CommandMatch> ModuleSet::find_command(
    const std::vector<std::string>& words) const {
  std::optional<CommandMatch> best;
  std::size_t best_len = 0;
  for (const auto& m : modules_) {
    for (const auto& c : m.commands) {
      std::vector<std::string> name;
      std::istringstream in(c.name);
      for (std::string w; in >> w;) name.push_back(w);
      if (name.empty() || name.size() > words.size() || name.size() <= best_len) continue;
      if (!std::equal(name.begin(), name.end(), words.begin())) continue;
      best_len = name.size();
      auto rest = words.begin() + static_cast<std::ptrdiff_t>(name.size());
      best = CommandMatch{&m, &c, std::vector<std::string>(rest, words.end())};
    }
  }
  return best;
}

}  // namespace mmx::module
