#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mmx::app {

struct CommandLine {
  std::string command = "run";  // run | targets | version | openapi | help | migrate | module
  // command "module": the words naming a module's command and its arguments
  // (`micromax auth rotate-keys` -> {"auth", "rotate-keys"}), matched by ModuleSet::find_command.
  std::vector<std::string> words;
  std::map<std::string, std::string> settings;  // flag values by setting name
  std::optional<std::string> config_file;
};

// Parses `micromax [command] [--flag=value | --flag value]...`; throws
// std::invalid_argument with a message for the user.
CommandLine parse_command_line(int argc, char** argv);
std::string usage();

}  // namespace mmx::app
