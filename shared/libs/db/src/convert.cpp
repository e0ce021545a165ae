#include "mmx/db/convert.hpp"

#include <boost/json/parse.hpp>

namespace mmx::db::detail {

void mapping_error(std::string_view what, std::string_view expected, const Value& got) {
  throw DbError(ErrorKind::mapping, "column '" + std::string(what) + "': expected " +
                                        std::string(expected) + ", got " + describe_value(got));
}

// RFC 3339 as we write it, plus PostgreSQL's text form of timestamptz
// ("2026-11-24 17:58:07.25+00"), in case a column is read without our driver's
// normalisation (a view, a cast in SQL).
std::optional<dto::TimePoint> parse_db_time(std::string_view text) {
  if (auto tp = dto::parse_date_time(text)) return tp;
  std::string s(text);
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  auto zone = s.find_last_of("+-");
  if (zone != std::string::npos && zone > 18) {
    std::string offset = s.substr(zone);
    if (offset.size() == 3) s += ":00";
  } else if (s.find('Z') == std::string::npos) {
    s += 'Z';
  }
  return dto::parse_date_time(s);
}

boost::json::value parse_json_text(std::string_view what, const Value& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (!s) mapping_error(what, "JSON text", v);
  boost::system::error_code ec;
  auto j = boost::json::parse(*s, ec);
  if (ec) throw DbError(ErrorKind::mapping, "column '" + std::string(what) + "': stored text is not JSON");
  return j;
}

}  // namespace mmx::db::detail
