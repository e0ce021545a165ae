#pragma once
// A query's rows, fully materialised (drivers copy out of their buffers before the
// connection goes back to the pool), plus the affected-row count of a write.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/db/value.hpp"

namespace mmx::db {

struct Result {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  std::int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE

  std::optional<std::size_t> column(std::string_view name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (columns[i] == name) return i;
    return std::nullopt;
  }
  bool empty() const { return rows.empty(); }
  std::size_t size() const { return rows.size(); }
};

}  // namespace mmx::db
