#include "mmx/db/value.hpp"

#include <charconv>

#include "mmx/db/driver.hpp"
#include "mmx/db/errors.hpp"

namespace mmx::db {

std::string describe_value(const Value& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      char buf[32];
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
      return ec == std::errc() ? std::string(buf, p) : "?";
    }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const std::string& s) const {
      // Enough to recognise in an error, never a whole document.
      return s.size() <= 40 ? "'" + s + "'" : "'" + s.substr(0, 37) + "...'";
    }
    std::string operator()(const Blob& b) const {
      return "<" + std::to_string(b.bytes.size()) + " bytes>";
    }
  };
  return std::visit(Visitor{}, v);
}

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::serialization: return "serialization";
    case ErrorKind::unique_violation: return "unique_violation";
    case ErrorKind::constraint: return "constraint";
    case ErrorKind::authentication: return "authentication";
    case ErrorKind::configuration: return "configuration";
    case ErrorKind::mapping: return "mapping";
    case ErrorKind::query: return "query";
  }
  return "unknown";
}

const char* to_string(Dialect d) { return d == Dialect::sqlite ? "sqlite" : "postgresql"; }

}  // namespace mmx::db
