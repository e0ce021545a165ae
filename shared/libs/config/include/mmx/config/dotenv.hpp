#pragma once
#include <map>
#include <string>

namespace mmx::config {

// Reads a dotenv file: NAME=value lines, '#' comments, optional `export `, single or
// double quotes (double quotes understand \n \" \\). Throws ConfigError naming the file
// and line for anything else.
std::map<std::string, std::string> read_dotenv(const std::string& path);

}  // namespace mmx::config
