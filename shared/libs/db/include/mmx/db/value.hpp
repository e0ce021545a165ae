#pragma once
// The values that cross the driver boundary: SQL NULL, integers, reals, booleans, text
// and bytes. Both drivers bind and return only these; typed access converts on top.
#include <cstddef>
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

// One parameter as a driver binds it: a plain view, so binding is a switch on `kind`
// rather than a variant visit, and the typed query methods can keep text in their own
// coroutine frame instead of a std::string per argument (see db::Args, args.hpp). Text and
// bytes are borrowed: whoever made the Param keeps them alive while the statement runs.
// Text is always followed by a NUL byte (libpq reads text parameters as C strings); `size`
// does not count it.
struct Param {
  enum class Kind : std::uint8_t { null, integer, real, boolean, text, blob };
  Kind kind = Kind::null;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  const char* data = nullptr;  // text or blob bytes
  std::size_t size = 0;
};
// Parameters as drivers read them.
using ParamSpan = std::span<const Param>;

// The view of a Value (which must outlive it).
Param param_of(const Value& v) noexcept;
// An owned copy (for drivers that only implement Connection::execute).
Value value_of(const Param& p);

// Views of a Params vector, kept beside it: no allocation up to kInline parameters.
class ParamViews {
 public:
  explicit ParamViews(const Params& params);
  ParamViews(const ParamViews&) = delete;
  ParamViews& operator=(const ParamViews&) = delete;
  ParamSpan span() const noexcept { return {data_, size_}; }
  operator ParamSpan() const noexcept { return span(); }  // NOLINT(google-explicit-constructor)

 private:
  static constexpr std::size_t kInline = 8;
  Param inline_[kInline];
  std::vector<Param> heap_;
  const Param* data_ = nullptr;
  std::size_t size_ = 0;
};

inline bool is_null(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// For error messages and logs ("NULL", "42", "'text'", "<blob 12 bytes>").
std::string describe_value(const Value& v);

}  // namespace mmx::db
