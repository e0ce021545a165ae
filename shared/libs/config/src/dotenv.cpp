#include "mmx/config/dotenv.hpp"

#include <cctype>
#include <fstream>

#include "mmx/config/config.hpp"
#include "mmx/config/parse.hpp"

namespace mmx::config {
namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::map<std::string, std::string> read_dotenv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError({"config file " + path + ": cannot be read"});
  std::map<std::string, std::string> out;
  std::string line;
  int lineno = 0;
  auto fail = [&](const std::string& why) {
    throw ConfigError({"config file " + path + " line " + std::to_string(lineno) + ": " + why});
  };
  while (std::getline(in, line)) {
    ++lineno;
    std::string_view s = trim(line);
    if (s.empty() || s.front() == '#') continue;
    if (s.rfind("export ", 0) == 0) s = trim(s.substr(7));
    auto eq = s.find('=');
    if (eq == std::string_view::npos) fail("expected NAME=value");
    std::string_view name = trim(s.substr(0, eq));
    std::string_view raw = trim(s.substr(eq + 1));
    if (!valid_name(name)) fail("invalid name '" + std::string(name) + "'");
    std::string value;
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
      char q = raw.front();
      std::size_t i = 1;
      bool closed = false;
      for (; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == q) {
          closed = true;
          break;
        }
        if (q == '"' && c == '\\' && i + 1 < raw.size()) {
          char e = raw[++i];
          value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          value += c;
        }
      }
      if (!closed) fail("unterminated quote");
      std::string_view rest = trim(raw.substr(i + 1));
      if (!rest.empty() && rest.front() != '#') fail("unexpected text after the closing quote");
    } else {
      auto hash = raw.find(" #");
      value = std::string(trim(hash == std::string_view::npos ? raw : raw.substr(0, hash)));
    }
    out[std::string(name)] = std::move(value);
  }
  return out;
}

}  // namespace mmx::config
