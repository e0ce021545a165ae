#pragma once
// The values that cross the driver boundary: SQL NULL, integers, reals, booleans, text
// and bytes. Both drivers bind and return only these; typed access converts on top.
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace mmx::db {

struct Blob {
  std::vector<std::uint8_t> bytes;
  bool operator==(const Blob&) const = default;
};

using Value = std::variant<std::monostate, std::int64_t, double, bool, std::string, Blob>;
using Params = std::vector<Value>;
// Parameters as drivers read them: a Params vector, or the fixed array the typed query
// methods keep in their coroutine frame (no allocation per statement).
using ParamSpan = std::span<const Value>;

inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// For error messages and logs ("NULL", "42", "'text'", "<blob 12 bytes>").
std::string describe_value(const Value& v);

}  // namespace mmx::db
