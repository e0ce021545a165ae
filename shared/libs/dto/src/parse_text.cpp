#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/error.hpp>
#include <boost/json/parser.hpp>

#include "mmx/dto/parse.hpp"

namespace mmx::dto::detail {

boost::json::value parse_text(std::string_view text, boost::json::storage_ptr storage) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  options.allow_invalid_utf8 = true;
  unsigned char scratch[512];
  boost::json::parser parser(boost::json::storage_ptr(), options, scratch);
  parser.reset(std::move(storage));
  boost::json::error_code ec;
  const std::size_t offset = parser.write(text.data(), text.size(), ec);
  if (ec) {
    std::string reason = ec == boost::json::error::too_deep
                             ? "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"
                             : ec.message();
    throw ValidationError(
        {FieldError{"", "malformed JSON: " + reason + " at offset " + std::to_string(offset)}});
  }
  return parser.release();
}

void report_unknown_fields(const boost::json::object& object, const std::string_view* names,
                           std::size_t count, const Path& path, Errors& errors) {
  for (const auto& kv : object) {
    bool known = false;
    for (std::size_t i = 0; i < count && !known; ++i) known = names[i] == kv.key();
    if (!known) fail(errors, Path(path, kv.key()), "unknown field");
  }
}

}  // namespace mmx::dto::detail
