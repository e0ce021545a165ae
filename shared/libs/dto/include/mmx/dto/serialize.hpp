#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "mmx/dto/constraints.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/dto/detail/traits.hpp"
#include "mmx/dto/detail/write.hpp"
#include "mmx/dto/time.hpp"

namespace mmx::dto {
namespace detail {

template <class M>
boost::json::value to_value(const M& value) {
  if constexpr (is_optional_v<M>) {
    return value ? to_value(*value) : boost::json::value(nullptr);
  } else if constexpr (std::is_same_v<M, bool>) {
    return boost::json::value(value);
  } else if constexpr (Integer<M>) {
    if constexpr (std::is_signed_v<M>) {
      return boost::json::value(static_cast<std::int64_t>(value));
    } else {
      return boost::json::value(static_cast<std::uint64_t>(value));
    }
  } else if constexpr (std::is_floating_point_v<M>) {
    return boost::json::value(static_cast<double>(value));
  } else if constexpr (std::is_same_v<M, std::string>) {
    return boost::json::value(boost::json::string_view(value));
  } else if constexpr (DescribedEnum<M>) {
    // An undeclared value has no name; its number is the most useful thing to show.
    if (const char* name = enum_name(value)) return boost::json::value(name);
    return boost::json::value(static_cast<std::int64_t>(value));
  } else if constexpr (std::is_same_v<M, TimePoint>) {
    return boost::json::value(format_date_time(value));
  } else if constexpr (is_vector_v<M>) {
    boost::json::array array;
    array.reserve(value.size());
    for (const auto& item : value) array.push_back(to_value(item));
    return array;
  } else if constexpr (is_map_v<M>) {
    boost::json::object object;
    object.reserve(value.size());
    for (const auto& [key, item] : value) object.emplace(key, to_value(item));
    return object;
  } else if constexpr (std::is_same_v<M, boost::json::value> ||
                       std::is_same_v<M, boost::json::object>) {
    return boost::json::value(value);
  } else if constexpr (Described<M>) {
    const auto& rules = rules_of<M>();
    boost::json::object object;
    object.reserve(member_count<M>);
    for_each_member<M>([&](auto index) {
      using D = boost::mp11::mp_at_c<Members<M>, index>;
      const auto& field = value.*D::pointer;
      if constexpr (is_optional_v<std::remove_cvref_t<decltype(field)>>) {
        if (!field && !rules[index].nullable) return;
      }
      object.emplace(D::name, to_value(field));
    });
    return object;
  } else {
    static_assert(always_false<M>, "unsupported DTO member type");
  }
}

}  // namespace detail

template <class T>
boost::json::value to_json(const T& value) {
  return detail::to_value(value);
}

// The same text as boost::json::serialize(to_json(value)), written without the tree.
template <class T>
std::string serialize(const T& value) {
  // Sized from the last result for T (plus a quarter), so a response like the previous one is
  // written without regrowing; capped so one huge result does not make every later one reserve
  // as much.
  static std::atomic<std::size_t> size_hint{256};
  std::string out;
  out.reserve(size_hint.load(std::memory_order_relaxed));
  detail::write_json(out, value);
  size_hint.store(std::clamp<std::size_t>(out.size() + out.size() / 4, 256, 1 << 20),
                  std::memory_order_relaxed);
  return out;
}

}  // namespace mmx::dto
