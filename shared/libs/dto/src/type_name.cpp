#include "mmx/dto/type_name.hpp"

#include <cctype>
#include <string>
#include <string_view>

namespace mmx::dto::detail {

namespace {

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// "T = shop::Item; std::string_view = ..." -> "shop::Item" (GCC's and Clang's spellings).
std::string_view spelled_type(std::string_view pretty) {
  std::size_t start = pretty.find("T = ");
  if (start == std::string_view::npos) return pretty;
  start += 4;
  int depth = 0;
  for (std::size_t i = start; i < pretty.size(); ++i) {
    char c = pretty[i];
    if (c == '<' || c == '(' || c == '[') ++depth;
    if (c == '>' || c == ')' || c == ']') {
      if (depth == 0) return pretty.substr(start, i - start);
      --depth;
    }
    if (c == ';' && depth == 0) return pretty.substr(start, i - start);
  }
  return pretty.substr(start);
}

}  // namespace

std::string clean_type_name(std::string_view pretty) {
  std::string_view spelled = spelled_type(pretty);
  // Drop every qualifier, including "{anonymous}::" and "f()::" of local classes.
  std::string unqualified;
  for (std::size_t i = 0; i < spelled.size(); ++i) {
    if (spelled.compare(i, 2, "::") == 0) {
      while (!unqualified.empty() && (is_identifier_char(unqualified.back()) ||
                                      unqualified.back() == '}' || unqualified.back() == '{' ||
                                      unqualified.back() == ')' || unqualified.back() == '(')) {
        unqualified.pop_back();
      }
      ++i;
      continue;
    }
    unqualified += spelled[i];
  }
  // OpenAPI component names allow [A-Za-z0-9._-] only.
  std::string out;
  for (char c : unqualified) {
    if (is_identifier_char(c) || c == '.' || c == '-') {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace mmx::dto::detail
