#pragma once
// The Loki module pattern: a module declares its name, what it depends on, its settings,
// and an init that mounts routes, readiness checks and background tasks. The binary's
// --target picks modules; their dependencies come along.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mmx/config/config.hpp"
#include "mmx/exec/worker_pool.hpp"
#include "mmx/health/health.hpp"
#include "mmx/http/middleware.hpp"
#include "mmx/http/router.hpp"
#include "mmx/metrics/metrics.hpp"

namespace mmx::module {

// Runs until cancelled at shutdown (asio terminal cancellation of whatever it awaits).
using BackgroundTask = std::function<boost::asio::awaitable<void>()>;

struct Context {
  const config::Config& config;
  http::Router& router;
  http::Pipeline& pipeline;
  metrics::Registry& metrics;
  exec::WorkerPool& workers;
  health::Registry& health;
  std::string data_dir;
  std::vector<std::pair<std::string, BackgroundTask>>& tasks;
  // `micromax migrate`: init should open its database and migrate, then stop there (no
  // seeding, no background work); the process exits after every module's init.
  bool migrate_only = false;
  // `micromax openapi`: init should only mount its routes (handlers never run), opening no
  // database, broker or key store and requiring no secret, so the document can be generated
  // anywhere (CI, a laptop without the production settings).
  bool docs_only = false;

  void add_background_task(std::string name, BackgroundTask task) {
    tasks.emplace_back(std::move(name), std::move(task));
  }
};

// A command-line action a module offers besides serving (`micromax auth rotate-keys`,
// `micromax seed`). It runs instead of the server, after the configuration is loaded, on an
// io_context of its own with the worker pool available; no module's init runs (a command
// opens what it needs, e.g. db::open_service_database(ctx, ...), which also migrates).
// `args` are the words after the command's name. Returns the process exit code.
using CommandFn =
    std::function<boost::asio::awaitable<int>(Context& ctx, std::vector<std::string> args)>;

struct Command {
  std::string name;  // the words after `micromax`, space separated: "auth rotate-keys"
  std::string help;  // one line for `micromax --help`
  CommandFn run;
};

struct Module {
  std::string name;
  std::string description;
  std::vector<std::string> dependencies;
  // Services are targets a user picks; internal modules (the HTTP server) only come along.
  bool is_target = true;
  // Where its API docs live, for the landing page (empty: none).
  std::string docs_path;
  std::function<void(config::SettingRegistry&)> declare_settings;
  std::function<void(Context&)> init;
  std::vector<Command> commands;
  // Creates the module's demo data (`micromax seed`), idempotently: a second run does
  // nothing. Runs like a command (no init; open what it needs), modules in dependency order.
  std::function<boost::asio::awaitable<void>(Context& ctx)> seed;
};

struct CommandMatch {
  const Module* module = nullptr;
  const Command* command = nullptr;
  std::vector<std::string> args;  // the words after the command's name
};

class ModuleSet {
 public:
  void add(Module m);  // duplicate names throw
  const std::vector<Module>& all() const { return modules_; }
  const Module* find(const std::string& name) const;
  // Expands "all" and a comma list into the modules to run, dependencies first. Throws
  // std::invalid_argument naming an unknown target or a dependency cycle.
  std::vector<const Module*> resolve(const std::string& targets) const;
  // The command whose name is the longest prefix of `words`; nullopt when none is.
  std::optional<CommandMatch> find_command(const std::vector<std::string>& words) const;

 private:
  std::vector<Module> modules_;
};

}  // namespace mmx::module
