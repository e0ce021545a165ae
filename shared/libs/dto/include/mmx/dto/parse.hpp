#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "mmx/dto/constraints.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/dto/detail/path.hpp"
#include "mmx/dto/detail/traits.hpp"
#include "mmx/dto/errors.hpp"
#include "mmx/dto/time.hpp"

namespace mmx::dto {

// Which side of an API a body comes from. In a request a read_only() member is server-owned:
// sending it is an error and leaving it out is fine. In a response (a client reading what a
// service returned) it is an ordinary member.
enum class Direction { request, response };

inline constexpr std::size_t kMaxJsonDepth = 64;

namespace detail {

// Parses with depth bounded by kMaxJsonDepth; invalid UTF-8 is let through so that it is
// reported at its field's pointer. Throws ValidationError for malformed text.
boost::json::value parse_text(std::string_view text, boost::json::storage_ptr storage);

// Stays within the names of T's described members; anything else in the object is reported.
void report_unknown_fields(const boost::json::object& object, const std::string_view* names,
                           std::size_t count, const Path& path, Errors& errors);

template <Described T>
const std::array<std::string_view, member_count<T>>& member_names() {
  static const auto names = [] {
    std::array<std::string_view, member_count<T>> out{};
    for_each_member<T>(
        [&](auto index) { out[index] = boost::mp11::mp_at_c<Members<T>, index>::name; });
    return out;
  }();
  return names;
}

template <Integer M>
bool read_integer(const boost::json::value& json, M& out, const Path& path, Errors& errors) {
  if (json.is_int64()) {
    if (std::in_range<M>(json.get_int64())) {
      out = static_cast<M>(json.get_int64());
      return true;
    }
  } else if (json.is_uint64()) {
    if (std::in_range<M>(json.get_uint64())) {
      out = static_cast<M>(json.get_uint64());
      return true;
    }
  } else {
    // An integer token too big for 64 bits arrives as a double; say "out of range" for it
    // rather than "not an integer". Smaller doubles (3.0 included) are not integer tokens.
    bool huge = json.is_double() && std::abs(json.get_double()) >= 0x1p63;
    if (!huge) {
      fail(errors, path, "must be an integer");
      return false;
    }
  }
  fail(errors, path,
       integer_range_message(std::to_string(std::numeric_limits<M>::min()),
                             std::to_string(std::numeric_limits<M>::max())));
  return false;
}

template <class M>
bool read_value(const boost::json::value& json, M& out, const Path& path, Errors& errors,
                Direction direction);

template <Described T>
bool read_struct(const boost::json::value& json, T& out, const Path& path, Errors& errors,
                 Direction direction) {
  const boost::json::object* object = json.if_object();
  if (!object) {
    fail(errors, path, "must be an object");
    return false;
  }
  const auto& rules = rules_of<T>();
  std::size_t matched = 0;
  for_each_member<T>([&](auto index) {
    using D = boost::mp11::mp_at_c<Members<T>, index>;
    const FieldRules& r = rules[index];
    auto& field = out.*D::pointer;
    using M = std::remove_cvref_t<decltype(field)>;
    const bool server_owned = r.read_only && direction == Direction::request;
    Path child(path, D::name);
    const boost::json::value* member = object->if_contains(D::name);
    if (!member) {
      if constexpr (is_optional_v<M>) {
        if (!r.has_default) field.reset();
      } else {
        if (!r.has_default && !server_owned) fail(errors, child, "is required");
      }
      return;
    }
    ++matched;
    if (server_owned) {
      fail(errors, child, "read-only field");
      return;
    }
    if (read_value(*member, field, child, errors, direction)) {
      check_rules(field, r, child, errors);
    }
  });
  if (matched != object->size()) {
    const auto& names = member_names<T>();
    report_unknown_fields(*object, names.data(), names.size(), path, errors);
  }
  return true;
}

// Reads `json` into `out`, appending an error per failing pointer. False when `path` itself
// failed (wrong type, bad value); errors deeper down do not make the container fail.
template <class M>
bool read_value(const boost::json::value& json, M& out, const Path& path, Errors& errors,
                Direction direction) {
  if constexpr (is_optional_v<M>) {
    if (json.is_null()) {
      out.reset();
      return true;
    }
    if (!out) out.emplace();
    return read_value(json, *out, path, errors, direction);
  } else if constexpr (std::is_same_v<M, bool>) {
    if (json.is_bool()) {
      out = json.get_bool();
      return true;
    }
    fail(errors, path, "must be a boolean");
    return false;
  } else if constexpr (Integer<M>) {
    return read_integer(json, out, path, errors);
  } else if constexpr (std::is_floating_point_v<M>) {
    double d = 0;
    if (json.is_double()) {
      d = json.get_double();
    } else if (json.is_int64()) {
      d = static_cast<double>(json.get_int64());
    } else if (json.is_uint64()) {
      d = static_cast<double>(json.get_uint64());
    } else {
      fail(errors, path, "must be a number");
      return false;
    }
    if (!std::isfinite(d)) {
      fail(errors, path, std::string(kNotFinite));
      return false;
    }
    if (std::abs(d) > std::numeric_limits<M>::max()) {
      fail(errors, path,
           range_message(make_bound(std::numeric_limits<M>::lowest()),
                         make_bound(std::numeric_limits<M>::max())));
      return false;
    }
    out = static_cast<M>(d);
    return true;
  } else if constexpr (std::is_same_v<M, std::string>) {
    const boost::json::string* s = json.if_string();
    if (!s) {
      fail(errors, path, "must be a string");
      return false;
    }
    if (!utf8_length(*s)) {
      fail(errors, path, std::string(kNotUtf8));
      return false;
    }
    out.assign(s->data(), s->size());
    return true;
  } else if constexpr (DescribedEnum<M>) {
    if (const boost::json::string* s = json.if_string()) {
      if (auto value = enum_from_name<M>(*s)) {
        out = *value;
        return true;
      }
    }
    fail(errors, path, one_of_message(enum_names<M>()));
    return false;
  } else if constexpr (std::is_same_v<M, TimePoint>) {
    if (const boost::json::string* s = json.if_string()) {
      if (auto value = parse_date_time(*s)) {
        out = *value;
        return true;
      }
    }
    fail(errors, path, "must be an RFC 3339 date-time such as 2026-11-24T17:58:07Z");
    return false;
  } else if constexpr (is_vector_v<M>) {
    const boost::json::array* array = json.if_array();
    if (!array) {
      fail(errors, path, "must be an array");
      return false;
    }
    out.clear();
    out.resize(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      if constexpr (std::is_same_v<typename M::value_type, bool>) {
        bool item = false;  // std::vector<bool> hands out proxies, not bool&
        read_value((*array)[i], item, Path(path, i), errors, direction);
        out[i] = item;
      } else {
        read_value((*array)[i], out[i], Path(path, i), errors, direction);
      }
    }
    return true;
  } else if constexpr (is_map_v<M>) {
    const boost::json::object* object = json.if_object();
    if (!object) {
      fail(errors, path, "must be an object");
      return false;
    }
    out.clear();
    for (const auto& kv : *object) {
      Path child(path, kv.key());
      if (!utf8_length(kv.key())) {
        fail(errors, child, std::string(kNotUtf8));
        continue;
      }
      auto& slot = out[std::string(kv.key())];
      read_value(kv.value(), slot, child, errors, direction);
    }
    return true;
  } else if constexpr (std::is_same_v<M, boost::json::value>) {
    std::size_t before = errors.size();
    check_json_utf8(json, path, errors);
    if (errors.size() != before) return false;
    out = boost::json::value(json, boost::json::storage_ptr());
    return true;
  } else if constexpr (std::is_same_v<M, boost::json::object>) {
    const boost::json::object* object = json.if_object();
    if (!object) {
      fail(errors, path, "must be an object");
      return false;
    }
    std::size_t before = errors.size();
    check_json_utf8(json, path, errors);
    if (errors.size() != before) return false;
    out = boost::json::object(*object, boost::json::storage_ptr());
    return true;
  } else if constexpr (Described<M>) {
    return read_struct(json, out, path, errors, direction);
  } else {
    static_assert(always_false<M>, "unsupported DTO member type");
  }
}

}  // namespace detail

// Parses and validates; throws one ValidationError listing every failing field.
template <class T>
T from_json(const boost::json::value& json, Direction direction = Direction::request) {
  detail::Errors errors;
  T out{};
  detail::read_value(json, out, detail::Path(), errors, direction);
  if (!errors.empty()) throw ValidationError(std::move(errors));
  return out;
}

template <class T>
T parse(std::string_view json_text, Direction direction = Direction::request) {
  // Request bodies are small: a stack buffer usually holds the whole DOM, and what spills over
  // is freed at once when the resource goes out of scope.
  unsigned char buffer[4096];
  boost::json::monotonic_resource resource(buffer, sizeof buffer);
  boost::json::value json = detail::parse_text(json_text, &resource);
  return from_json<T>(json, direction);
}

}  // namespace mmx::dto
