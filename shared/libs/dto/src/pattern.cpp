#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mmx/dto/constraints.hpp"

namespace mmx::dto::detail {

class CompiledPattern {
 public:
  explicit CompiledPattern(std::string_view source)
      : regex_(source.begin(), source.end(), std::regex::ECMAScript | std::regex::optimize) {}

  bool search(std::string_view text) const {
    return std::regex_search(text.begin(), text.end(), regex_);
  }

 private:
  std::regex regex_;
};

std::shared_ptr<const CompiledPattern> compile_pattern(std::string_view source) {
  try {
    return std::make_shared<const CompiledPattern>(source);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("invalid DTO pattern \"" + std::string(source) + "\": " + e.what());
  }
}

bool pattern_matches(const CompiledPattern& pattern, std::string_view text) {
  return pattern.search(text);
}

}  // namespace mmx::dto::detail
