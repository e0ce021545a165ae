#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mmx::app {

struct CommandLine {
  std::string command = "run";  // run | targets | version | openapi | help
  std::map<std::string, std::string> settings;  // flag values by setting name
  std::optional<std::string> config_file;
};

// Parses `micromax [command] [--flag=value | --flag value]...`; throws
// std::invalid_argument with a message for the user.
CommandLine parse_command_line(int argc, char** argv);
std::string usage();

}  // namespace mmx::app
