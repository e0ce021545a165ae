#pragma once
// C++ values <-> driver Values, and rows -> described structs. One set of rules for both
// dialects: integers are int64, booleans are booleans (SQLite stores 0/1), times are
// RFC 3339 text in UTC, enums are their names, and nested DTOs, vectors and maps are
// JSON text (a `TEXT`/`JSONB` column), so a row maps to the same struct the API returns.
#include <array>
#include <boost/describe/members.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "mmx/db/errors.hpp"
#include "mmx/db/result.hpp"
#include "mmx/db/rows.hpp"
#include "mmx/db/value.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/dto/detail/traits.hpp"
#include "mmx/dto/dto.hpp"
#include "mmx/dto/time.hpp"

namespace mmx::db {

namespace detail {
using namespace mmx::dto::detail;
[[noreturn]] void mapping_error(std::string_view what, std::string_view expected, const Value& got);
std::optional<dto::TimePoint> parse_db_time(std::string_view text);
boost::json::value parse_json_text(std::string_view what, const Value& v);
template <class T>
inline constexpr bool is_json_column_v =
    Described<T> || is_vector_v<T> || is_map_v<T> || std::is_same_v<T, boost::json::value> ||
    std::is_same_v<T, boost::json::object> || std::is_same_v<T, boost::json::array>;
}  // namespace detail

template <class T>
Value to_db_value(const T& v) {
  using namespace detail;
  if constexpr (std::is_same_v<T, Value>) {
    return v;
  } else if constexpr (std::is_same_v<T, std::nullopt_t> || std::is_same_v<T, std::nullptr_t>) {
    return std::monostate{};
  } else if constexpr (is_optional_v<T>) {
    return v ? to_db_value(*v) : Value{};
  } else if constexpr (std::is_same_v<T, bool>) {
    return v;
  } else if constexpr (Integer<T>) {
    return static_cast<std::int64_t>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(v);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string(std::string_view(v));
  } else if constexpr (std::is_same_v<T, Blob>) {
    return v;
  } else if constexpr (std::is_same_v<T, dto::TimePoint>) {
    return dto::format_date_time(v);
  } else if constexpr (DescribedEnum<T>) {
    return std::string(enum_name(v));
  } else if constexpr (std::is_same_v<T, boost::json::value> ||
                       std::is_same_v<T, boost::json::object> ||
                       std::is_same_v<T, boost::json::array>) {
    return boost::json::serialize(v);
  } else if constexpr (is_json_column_v<T>) {
    return dto::serialize(v);
  } else {
    static_assert(always_false<T>, "no database mapping for this type");
  }
}

template <class T>
T from_db_value(const Value& v, std::string_view what) {
  using namespace detail;
  if constexpr (std::is_same_v<T, Value>) {
    return v;
  } else if constexpr (is_optional_v<T>) {
    if (is_null(v)) return std::nullopt;
    return from_db_value<unwrap_optional_t<T>>(v, what);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto* b = std::get_if<bool>(&v)) return *b;
    if (auto* i = std::get_if<std::int64_t>(&v)) return *i != 0;
    mapping_error(what, "a boolean", v);
  } else if constexpr (Integer<T>) {
    if (auto* i = std::get_if<std::int64_t>(&v)) {
      if (*i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          static_cast<std::uint64_t>(*i) >
              static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        mapping_error(what, "an integer in range", v);
      return static_cast<T>(*i);
    }
    if (auto* b = std::get_if<bool>(&v)) return static_cast<T>(*b);
    mapping_error(what, "an integer", v);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto* d = std::get_if<double>(&v)) return static_cast<T>(*d);
    if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<T>(*i);
    if (auto* s = std::get_if<std::string>(&v)) {  // PostgreSQL numeric comes as text
      double d = 0;
      auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), d);
      if (ec == std::errc() && p == s->data() + s->size()) return static_cast<T>(d);
    }
    mapping_error(what, "a number", v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    mapping_error(what, "text", v);
  } else if constexpr (std::is_same_v<T, Blob>) {
    if (auto* b = std::get_if<Blob>(&v)) return *b;
    mapping_error(what, "bytes", v);
  } else if constexpr (std::is_same_v<T, dto::TimePoint>) {
    if (auto* s = std::get_if<std::string>(&v))
      if (auto tp = parse_db_time(*s)) return *tp;
    mapping_error(what, "an RFC 3339 time", v);
  } else if constexpr (DescribedEnum<T>) {
    if (auto* s = std::get_if<std::string>(&v))
      if (auto e = enum_from_name<T>(*s)) return *e;
    mapping_error(what, "one of the enum's names", v);
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    return parse_json_text(what, v);
  } else if constexpr (std::is_same_v<T, boost::json::object> ||
                       std::is_same_v<T, boost::json::array>) {
    auto j = parse_json_text(what, v);
    if constexpr (std::is_same_v<T, boost::json::object>) {
      if (j.is_object()) return std::move(j.as_object());
    } else {
      if (j.is_array()) return std::move(j.as_array());
    }
    mapping_error(what, "a JSON object/array", v);
  } else if constexpr (is_json_column_v<T>) {
    auto j = parse_json_text(what, v);
    try {
      return dto::from_json<T>(j);
    } catch (const std::exception& e) {
      throw DbError(ErrorKind::mapping,
                    std::string(what) + ": stored JSON does not fit: " + e.what());
    }
  } else {
    static_assert(always_false<T>, "no database mapping for this type");
  }
}

// One cell as M, through the driver's fast paths where the type allows.
template <class M>
M read_cell(const RowView& row, std::size_t i, std::string_view what) {
  using namespace detail;
  if constexpr (is_optional_v<M>) {
    if (row.is_null(i)) return std::nullopt;
    return read_cell<unwrap_optional_t<M>>(row, i, what);
  } else if constexpr (std::is_same_v<M, std::string>) {
    std::string_view text;
    if (row.get_text(i, text)) return std::string(text);
  } else if constexpr (std::is_same_v<M, bool>) {
    std::int64_t n = 0;  // SQLite stores booleans as 0/1
    if (row.get_int(i, n)) return n != 0;
  } else if constexpr (Integer<M>) {
    std::int64_t n = 0;
    if (row.get_int(i, n)) {
      if constexpr (std::is_same_v<M, std::int64_t>) return n;
      return from_db_value<M>(Value{n}, what);  // range-checked
    }
  }
  return from_db_value<M>(row.value(i), what);
}

// Maps rows to T: each described member reads the column of the same name. A missing
// column is an error unless the member is optional (it stays empty); extra columns are
// ignored. Columns are looked up once per result, not once per row.
template <class T>
class RowMapper {
  static_assert(detail::Described<T>, "map_rows<T> needs a BOOST_DESCRIBE_STRUCT type");
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
  static constexpr std::size_t kMembers = boost::mp11::mp_size<Members>::value;

 public:
  explicit RowMapper(const RowView& columns) {
    std::size_t k = 0;
    boost::mp11::mp_for_each<Members>([&](auto d) {
      const std::string_view want = d.name;
      for (std::size_t c = 0; c < columns.size() && !index_[k]; ++c)
        if (columns.name(c) == want) index_[k] = c;
      using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
      if (!index_[k] && !detail::is_optional_v<M>)
        throw DbError(ErrorKind::mapping,
                      std::string("result has no column '") + d.name + "' for a required field");
      ++k;
    });
  }
  T operator()(const RowView& row) const {
    T item{};
    std::size_t i = 0;
    boost::mp11::mp_for_each<Members>([&](auto d) {
      using M = std::remove_cvref_t<decltype(item.*d.pointer)>;
      if (index_[i]) item.*d.pointer = read_cell<M>(row, *index_[i], d.name);
      ++i;
    });
    return item;
  }

 private:
  std::array<std::optional<std::size_t>, kMembers> index_{};
};

namespace detail {
// Matching member names to columns costs more than reading a short row: the last mapping
// per thread is kept for the next result of the same statement (same shape id).
template <class T>
const RowMapper<T>& mapper_for(const RowView& columns) {
  thread_local std::uint64_t cached_shape = 0;
  thread_local std::optional<RowMapper<T>> cached;
  const std::uint64_t shape = columns.shape_id();
  if (shape == 0 || shape != cached_shape) {
    cached_shape = 0;
    cached.emplace(columns);  // throws on a missing column: nothing cached then
    cached_shape = shape;
  }
  return *cached;
}
}  // namespace detail

// Collects rows as T (fetch_all).
template <class T>
class StructCollector final : public RowConsumer {
 public:
  void start(const RowView& columns) override {
    rows.clear();
    mapper_ = &detail::mapper_for<T>(columns);
  }
  bool row(const RowView& row) override {
    rows.push_back((*mapper_)(row));
    return true;
  }
  std::vector<T> rows;

  using result_type = std::vector<T>;
  std::vector<T> take(std::int64_t /*affected*/) { return std::move(rows); }

 private:
  const RowMapper<T>* mapper_ = nullptr;
};

// Keeps the first row as T (fetch_one); tells the driver it wants no more.
template <class T>
class FirstRow final : public RowConsumer {
 public:
  void start(const RowView& columns) override {
    value.reset();
    mapper_ = &detail::mapper_for<T>(columns);
  }
  bool row(const RowView& row) override {
    if (!value) value.emplace((*mapper_)(row));
    return false;
  }
  std::optional<T> value;

  using result_type = std::optional<T>;
  std::optional<T> take(std::int64_t /*affected*/) { return std::move(value); }

 private:
  const RowMapper<T>* mapper_ = nullptr;
};

// Keeps the first column of the first row as T (fetch_value).
template <class T>
class FirstValue final : public RowConsumer {
 public:
  void start(const RowView&) override { value.reset(); }
  bool row(const RowView& row) override {
    if (!value && row.size() > 0) value.emplace(from_db_value<T>(row.value(0), row.name(0)));
    return false;
  }
  std::optional<T> value;

  using result_type = std::optional<T>;
  std::optional<T> take(std::int64_t /*affected*/) { return std::move(value); }
};

template <class T>
std::vector<T> map_rows(const Result& r) {
  StructCollector<T> rows;
  replay(r, rows);
  return std::move(rows.rows);
}

template <class... A>
Params make_params(const A&... args) {
  Params p;
  p.reserve(sizeof...(A));
  (p.push_back(to_db_value(args)), ...);
  return p;
}

}  // namespace mmx::db
