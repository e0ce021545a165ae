#include "cli.hpp"

#include <stdexcept>

namespace mmx::app {
namespace {

// Flags are shorthands for settings, so one name means one thing everywhere.
const std::map<std::string, std::string>& flag_settings() {
  static const std::map<std::string, std::string> m = {
      {"target", "MMX_TARGET"},       {"listen", "MMX_LISTEN"},
      {"data-dir", "MMX_DATA_DIR"},   {"log-level", "MMX_LOG_LEVEL"},
      {"log-format", "MMX_LOG_FORMAT"}, {"threads", "MMX_THREADS"}};
  return m;
}

}  // namespace

std::string usage() {
  return R"(micromax - the MicroMax microservices, one binary (Loki style)

Usage:
  micromax [run] [flags]        start the selected targets (default: all) on one listener
  micromax targets              list the modules and what they depend on
  micromax version              print version and build information
  micromax openapi [--target X] print the OpenAPI document of the selected targets
  micromax migrate [--target X] apply pending database migrations of the targets, then exit
  micromax <command> [flags]    a module's command (listed below), then exit
  micromax --help               this text, then every setting with its default

Flags (each is a shorthand for the setting in brackets):
  --target=all|LIST   modules to run, comma separated            [MMX_TARGET]
  --listen=HOST:PORT  address to listen on                       [MMX_LISTEN]
  --data-dir=DIR      where embedded databases and logs live      [MMX_DATA_DIR]
  --config=FILE       a dotenv file of MMX_* settings (env wins over it)
  --log-level=LEVEL   trace|debug|info|warn|error                 [MMX_LOG_LEVEL]
  --log-format=FMT    json|text                                   [MMX_LOG_FORMAT]
  --threads=N         io threads, 0 = one per core                [MMX_THREADS]

Settings are read from flags, then the environment (NAME, or NAME_FILE for secrets),
then the config file, then their defaults.
)";
}

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine cl;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::size_t i = 0;
  if (i < args.size() && !args[i].starts_with("-")) {
    const std::string& c = args[i];
    if (c == "run" || c == "targets" || c == "version" || c == "openapi" || c == "help" ||
        c == "migrate") {
      cl.command = c;
    } else {
      // A module's command; which module (if any) knows it is decided once modules exist.
      cl.command = "module";
      cl.words.push_back(c);
    }
    ++i;
  }
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      cl.command = "help";
      continue;
    }
    if (a == "--version") {
      cl.command = "version";
      continue;
    }
    if (!a.starts_with("--")) {
      if (cl.command != "module") throw std::invalid_argument("unexpected argument '" + a + "'");
      cl.words.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) throw std::invalid_argument("--" + name + " needs a value");
      value = args[++i];
    }
    if (name == "config") {
      cl.config_file = value;
      continue;
    }
    auto it = flag_settings().find(name);
    if (it == flag_settings().end()) {
      throw std::invalid_argument("unknown flag --" + name + " (try micromax --help)");
    }
    cl.settings[it->second] = value;
  }
  return cl;
}

}  // namespace mmx::app
