#include "mmx/dto/detail/check.hpp"

#include <charconv>
#include <string>
#include <string_view>

namespace mmx::dto::detail {

namespace {

std::string to_string(const Bound& b) {
  if (b.is_int) return std::to_string(b.i);
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, b.d);
  return std::string(buffer, result.ptr);
}

std::string count_of(std::size_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

// "1 to 100 characters", "at least 1 character", "exactly 3 items", ...
std::string span_text(const std::optional<std::size_t>& min, const std::optional<std::size_t>& max,
                      std::string_view singular, std::string_view plural) {
  if (min && max && *min == *max) return "exactly " + count_of(*min, singular, plural);
  if (min && max) {
    return std::to_string(*min) + " to " + std::to_string(*max) + " " + std::string(plural);
  }
  if (min) return "at least " + count_of(*min, singular, plural);
  return "at most " + count_of(max.value_or(0), singular, plural);
}

bool is_space_or_control(char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; }

}  // namespace

std::string integer_range_message(std::string_view min, std::string_view max) {
  return "must be an integer between " + std::string(min) + " and " + std::string(max);
}

std::string range_message(const std::optional<Bound>& min, const std::optional<Bound>& max) {
  if (min && max) return "must be between " + to_string(*min) + " and " + to_string(*max);
  if (min) return "must be at least " + to_string(*min);
  return "must be at most " + to_string(max.value_or(Bound{}));
}

std::string one_of_message(const std::vector<std::string>& values) {
  std::string out = "must be one of: ";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += values[i];
  }
  return out;
}

// Deliberately loose: the only way to know an address works is to send mail to it. This
// catches typos and garbage, and stays within what JSON Schema's "email" format allows.
bool is_email(std::string_view text) {
  if (text.size() > 254) return false;
  std::size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = text.substr(0, at);
  std::string_view domain = text.substr(at + 1);
  for (char c : text) {
    if (is_space_or_control(c)) return false;
  }
  if (local.find('@') != std::string_view::npos) return false;
  if (domain.empty() || domain.find('.') == std::string_view::npos) return false;
  if (domain.front() == '.' || domain.back() == '.' || domain.front() == '-') return false;
  return domain.find("..") == std::string_view::npos;
}

void check_json_utf8(const boost::json::value& value, const Path& path, Errors& errors) {
  if (const auto* s = value.if_string()) {
    if (!utf8_length(*s)) fail(errors, path, std::string(kNotUtf8));
  } else if (const auto* array = value.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      check_json_utf8((*array)[i], Path(path, i), errors);
    }
  } else if (const auto* object = value.if_object()) {
    for (const auto& kv : *object) {
      Path child(path, kv.key());
      if (!utf8_length(kv.key())) {
        fail(errors, child, std::string(kNotUtf8));
      } else {
        check_json_utf8(kv.value(), child, errors);
      }
    }
  }
}

void check_string_rules(const std::string& value, const FieldRules& rules, const Path& path,
                        Errors& errors) {
  if (rules.min_length || rules.max_length) {
    std::optional<std::size_t> length = utf8_length(value);
    if (!length) {
      fail(errors, path, std::string(kNotUtf8));
      return;
    }
    if ((rules.min_length && *length < *rules.min_length) ||
        (rules.max_length && *length > *rules.max_length)) {
      fail(errors, path,
           "must be " + span_text(rules.min_length, rules.max_length, "character", "characters") +
               " long");
      return;
    }
  }
  if (rules.pattern && !pattern_matches(*rules.pattern->compiled, value)) {
    fail(errors, path, "must match pattern " + rules.pattern->source);
    return;
  }
  if (!rules.one_of.empty()) {
    bool found = false;
    for (const auto& allowed : rules.one_of) found = found || allowed == value;
    if (!found) {
      fail(errors, path, one_of_message(rules.one_of));
      return;
    }
  }
  if (rules.email && !is_email(value)) fail(errors, path, "must be a valid email address");
}

void check_size_rules(std::size_t size, bool is_map, const FieldRules& rules, const Path& path,
                      Errors& errors) {
  if ((rules.min_items && size < *rules.min_items) ||
      (rules.max_items && size > *rules.max_items)) {
    fail(errors, path,
         "must have " + (is_map ? span_text(rules.min_items, rules.max_items, "entry", "entries")
                                : span_text(rules.min_items, rules.max_items, "item", "items")));
  }
}

}  // namespace mmx::dto::detail
