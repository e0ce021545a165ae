#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/dto/errors.hpp"

namespace mmx::dto::detail {

// Where the walk currently is, as a chain of stack frames: nothing is allocated unless an
// error actually needs its JSON pointer.
class Path {
 public:
  Path() = default;
  Path(const Path& parent, std::string_view key) : parent_(&parent), key_(key), kind_(Kind::key) {}
  Path(const Path& parent, std::size_t index)
      : parent_(&parent), index_(index), kind_(Kind::index) {}

  // RFC 6901, with invalid UTF-8 in keys replaced so the pointer itself is always printable.
  std::string pointer() const;

 private:
  enum class Kind : std::uint8_t { root, key, index };
  const Path* parent_ = nullptr;
  std::string_view key_;
  std::size_t index_ = 0;
  Kind kind_ = Kind::root;
};

using Errors = std::vector<FieldError>;

void fail(Errors& errors, const Path& path, std::string message);

}  // namespace mmx::dto::detail
