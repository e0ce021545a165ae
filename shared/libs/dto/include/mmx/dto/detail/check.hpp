#pragma once

#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/describe/enumerators.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include "mmx/dto/constraints.hpp"
#include "mmx/dto/detail/path.hpp"
#include "mmx/dto/detail/traits.hpp"

// Checks shared by from_json (on the value just read) and validate (on an existing object).
namespace mmx::dto::detail {

// Code points, or nullopt when `text` is not valid UTF-8 (overlongs and surrogates included).
std::optional<std::size_t> utf8_length(std::string_view text);
bool is_email(std::string_view text);
// Walks a free-form JSON value; every string or key that is not UTF-8 gets its own error.
void check_json_utf8(const boost::json::value& value, const Path& path, Errors& errors);

std::string integer_range_message(std::string_view min, std::string_view max);
std::string range_message(const std::optional<Bound>& min, const std::optional<Bound>& max);
std::string one_of_message(const std::vector<std::string>& values);

void check_string_rules(const std::string& value, const FieldRules& rules, const Path& path,
                        Errors& errors);
void check_size_rules(std::size_t size, bool is_map, const FieldRules& rules, const Path& path,
                      Errors& errors);

inline constexpr std::string_view kNotUtf8 = "must be valid UTF-8";
inline constexpr std::string_view kNotFinite = "must be a finite number";

template <DescribedEnum E>
const std::vector<std::string>& enum_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>(
        [&](auto d) { out.emplace_back(d.name); });
    return out;
  }();
  return names;
}

template <DescribedEnum E>
const char* enum_name(E value) {
  const char* name = nullptr;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (!name && d.value == value) name = d.name;
  });
  return name;
}

template <DescribedEnum E>
std::optional<E> enum_from_name(std::string_view name) {
  std::optional<E> found;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (!found && name == d.name) found = d.value;
  });
  return found;
}

template <Number N>
bool below(N value, const Bound& b) {
  if constexpr (Integer<N>) {
    if (b.is_int) return std::cmp_less(value, b.i);
    return static_cast<double>(value) < b.d;
  } else {
    return value < (b.is_int ? static_cast<double>(b.i) : b.d);
  }
}

template <Number N>
bool above(N value, const Bound& b) {
  if constexpr (Integer<N>) {
    if (b.is_int) return std::cmp_greater(value, b.i);
    return static_cast<double>(value) > b.d;
  } else {
    return value > (b.is_int ? static_cast<double>(b.i) : b.d);
  }
}

// The member's own declared constraints; at most one error, the first that fails.
template <class M>
void check_rules(const M& value, const FieldRules& rules, const Path& path, Errors& errors) {
  if constexpr (is_optional_v<M>) {
    if (value) check_rules(*value, rules, path, errors);
  } else if constexpr (std::is_same_v<M, std::string>) {
    check_string_rules(value, rules, path, errors);
  } else if constexpr (Number<M>) {
    if ((rules.minimum && below(value, *rules.minimum)) ||
        (rules.maximum && above(value, *rules.maximum))) {
      fail(errors, path, range_message(rules.minimum, rules.maximum));
    }
  } else if constexpr (is_vector_v<M> || is_map_v<M>) {
    check_size_rules(value.size(), is_map_v<M>, rules, path, errors);
  }
}

template <Described T>
void check_struct(const T& object, const Path& path, Errors& errors);

// What the type itself demands of a value already in memory (UTF-8, finiteness, a known
// enumerator), recursing into members and elements. False when `path` itself got an error.
template <class M>
bool check_value(const M& value, const Path& path, Errors& errors) {
  if constexpr (is_optional_v<M>) {
    return !value || check_value(*value, path, errors);
  } else if constexpr (std::is_same_v<M, std::string>) {
    if (utf8_length(value)) return true;
    fail(errors, path, std::string(kNotUtf8));
    return false;
  } else if constexpr (std::is_floating_point_v<M>) {
    if (std::isfinite(value)) return true;
    fail(errors, path, std::string(kNotFinite));
    return false;
  } else if constexpr (DescribedEnum<M>) {
    if (enum_name(value)) return true;
    fail(errors, path, one_of_message(enum_names<M>()));
    return false;
  } else if constexpr (is_vector_v<M>) {
    for (std::size_t i = 0; i < value.size(); ++i) check_value(value[i], Path(path, i), errors);
    return true;
  } else if constexpr (is_map_v<M>) {
    for (const auto& [key, item] : value) {
      Path child(path, key);
      if (!utf8_length(key)) {
        fail(errors, child, std::string(kNotUtf8));
      } else {
        check_value(item, child, errors);
      }
    }
    return true;
  } else if constexpr (std::is_same_v<M, boost::json::value>) {
    check_json_utf8(value, path, errors);
    return true;
  } else if constexpr (std::is_same_v<M, boost::json::object>) {
    for (const auto& kv : value) {
      Path child(path, kv.key());
      if (!utf8_length(kv.key())) {
        fail(errors, child, std::string(kNotUtf8));
      } else {
        check_json_utf8(kv.value(), child, errors);
      }
    }
    return true;
  } else if constexpr (Described<M>) {
    check_struct(value, path, errors);
    return true;
  } else {
    return true;
  }
}

template <Described T>
void check_struct(const T& object, const Path& path, Errors& errors) {
  const auto& rules = rules_of<T>();
  for_each_member<T>([&](auto index) {
    using D = boost::mp11::mp_at_c<Members<T>, index>;
    const auto& field = object.*D::pointer;
    Path child(path, D::name);
    if (check_value(field, child, errors)) check_rules(field, rules[index], child, errors);
  });
}

}  // namespace mmx::dto::detail
