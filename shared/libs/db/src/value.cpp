#include "mmx/db/value.hpp"

#include <charconv>

#include "mmx/db/driver.hpp"
#include "mmx/db/errors.hpp"

namespace mmx::db {

Param param_of(const Value& v) noexcept {
  Param p;
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    p.kind = Param::Kind::integer;
    p.integer = *i;
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    p.kind = Param::Kind::text;
    p.data = s->c_str();
    p.size = s->size();
  } else if (const auto* d = std::get_if<double>(&v)) {
    p.kind = Param::Kind::real;
    p.real = *d;
  } else if (const auto* b = std::get_if<bool>(&v)) {
    p.kind = Param::Kind::boolean;
    p.boolean = *b;
  } else if (const auto* bl = std::get_if<Blob>(&v)) {
    p.kind = Param::Kind::blob;
    // Never a null pointer: SQLite would bind that as NULL, not as an empty blob.
    p.data = bl->bytes.empty() ? "" : reinterpret_cast<const char*>(bl->bytes.data());
    p.size = bl->bytes.size();
  }
  return p;
}

Value value_of(const Param& p) {
  switch (p.kind) {
    case Param::Kind::null:
      return std::monostate{};
    case Param::Kind::integer:
      return p.integer;
    case Param::Kind::real:
      return p.real;
    case Param::Kind::boolean:
      return p.boolean;
    case Param::Kind::text:
      return std::string(p.data, p.size);
    case Param::Kind::blob: {
      const auto* b = reinterpret_cast<const std::uint8_t*>(p.data);
      return Blob{std::vector<std::uint8_t>(b, b + p.size)};
    }
  }
  return std::monostate{};
}

ParamViews::ParamViews(const Params& params) : size_(params.size()) {
  Param* out = inline_;
  if (size_ > kInline) {
    heap_.resize(size_);
    out = heap_.data();
  }
  for (std::size_t i = 0; i < size_; ++i) out[i] = param_of(params[i]);
  data_ = out;
}

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
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::serialization:
      return "serialization";
    case ErrorKind::unique_violation:
      return "unique_violation";
    case ErrorKind::constraint:
      return "constraint";
    case ErrorKind::authentication:
      return "authentication";
    case ErrorKind::configuration:
      return "configuration";
    case ErrorKind::mapping:
      return "mapping";
    case ErrorKind::query:
      return "query";
  }
  return "unknown";
}

const char* to_string(Dialect d) { return d == Dialect::sqlite ? "sqlite" : "postgresql"; }

}  // namespace mmx::db
