#include "mmx/contracts/yaml.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include <boost/json/serialize.hpp>

namespace mmx::contracts {
namespace {

namespace json = boost::json;

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

// Words YAML 1.1 or 1.2 parsers read as booleans or null.
bool is_reserved(std::string_view s) {
  static constexpr std::array<std::string_view, 10> kWords = {"true", "false", "null", "yes", "no",
                                                              "on",   "off",   "y",    "n",   "~"};
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(kWords.begin(), kWords.end(), lower) != kWords.end();
}

// Deliberately narrower than YAML allows: a letter, '_', '$' or '/' first (so never a number
// or an indicator), then word characters and a few punctuation marks that are never special
// in a block-context plain scalar. No ':' or '#', so neither ": " nor " #" can occur.
bool can_be_plain(std::string_view s) {
  if (s.empty() || s.back() == ' ' || is_reserved(s)) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s.front())) != 0 || s.front() == '_' ||
        s.front() == '$' || s.front() == '/')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return is_word_char(c) || c == ' ' || c == '.' || c == '/' || c == '-' || c == '+' ||
           c == ',' || c == '(' || c == ')' || c == '@' || c == ';' || c == '=';
  });
}

std::string scalar(const json::value& v) {
  if (const json::string* s = v.if_string()) {
    if (can_be_plain(*s)) return std::string(*s);
    return json::serialize(*s);
  }
  return json::serialize(v);  // numbers, booleans and null are spelled the same in YAML
}

std::string key_text(std::string_view key) {
  if (can_be_plain(key)) return std::string(key);
  return json::serialize(json::string_view(key.data(), key.size()));
}

bool is_nested(const json::value& v) {
  return (v.is_object() && !v.get_object().empty()) || (v.is_array() && !v.get_array().empty());
}

void emit(const json::value& v, std::size_t indent, std::string& out);

// "- " takes the place of the item's own indentation on its first line.
void emit_item(const json::value& item, std::size_t indent, std::string& out) {
  if (!is_nested(item)) {
    out.append(indent, ' ').append("- ").append(scalar(item)).append("\n");
    return;
  }
  std::string nested;
  emit(item, indent + 2, nested);
  out.append(indent, ' ').append("- ").append(nested, indent + 2);
}

void emit(const json::value& v, std::size_t indent, std::string& out) {
  if (const json::object* o = v.if_object(); o && !o->empty()) {
    for (const auto& kv : *o) {
      out.append(indent, ' ').append(key_text(kv.key())).append(":");
      if (is_nested(kv.value())) {
        out += "\n";
        emit(kv.value(), indent + 2, out);
      } else if (kv.value().is_object()) {
        out += " {}\n";
      } else if (kv.value().is_array()) {
        out += " []\n";
      } else {
        out.append(" ").append(scalar(kv.value())).append("\n");
      }
    }
  } else if (const json::array* a = v.if_array(); a && !a->empty()) {
    for (const auto& item : *a) emit_item(item, indent, out);
  } else if (v.is_object()) {
    out.append(indent, ' ').append("{}\n");
  } else if (v.is_array()) {
    out.append(indent, ' ').append("[]\n");
  } else {
    out.append(indent, ' ').append(scalar(v)).append("\n");
  }
}

}  // namespace

std::string to_yaml(const json::value& value) {
  std::string out;
  emit(value, 0, out);
  return out;
}

}  // namespace mmx::contracts
