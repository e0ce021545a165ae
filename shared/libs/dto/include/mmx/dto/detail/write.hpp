#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include "mmx/dto/constraints.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/dto/detail/traits.hpp"
#include "mmx/dto/time.hpp"

// JSON text written straight into one string, without the boost::json tree that to_value builds.
// The output is byte for byte what boost::json::serialize(to_value(v)) gives (Boost 1.81): same
// member order and omissions, same escapes, same number formats. tests/unit/dto/write_json_test
// holds the two side by side.
namespace mmx::dto::detail {

// A JSON string with boost::json's escapes: \" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx
// (lowercase hex), everything else (0x7f, bytes from 0x80, invalid UTF-8) as is.
void write_string(std::string& out, std::string_view text);
// boost::json's own double formatting (Ryu, "1.5E0"), not std::to_chars' shortest form.
void write_double(std::string& out, double value);

template <class I>
void write_integer(std::string& out, I value) {
  char buffer[24];  // 20 digits and a sign
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, static_cast<std::size_t>(end - buffer));
}

// ,"name": for a described member; the first one written drops the comma. Names are C++
// identifiers, so they never need escaping (checked).
template <class D>
struct MemberKey {
  static constexpr std::size_t name_size = std::char_traits<char>::length(D::name);
  static constexpr std::array<char, name_size + 4> text = [] {
    std::array<char, name_size + 4> key{};
    key[0] = ',';
    key[1] = '"';
    for (std::size_t i = 0; i < name_size; ++i) key[i + 2] = D::name[i];
    key[name_size + 2] = '"';
    key[name_size + 3] = ':';
    return key;
  }();
  static_assert([] {
    for (std::size_t i = 0; i < name_size; ++i) {
      const auto c = static_cast<unsigned char>(D::name[i]);
      if (c < 0x20 || c == '"' || c == '\\') return false;
    }
    return true;
  }());
};

// Two bases with a member of the same name are both described; the tree keeps whichever is
// emplaced first, a rule left to it (such structs take the tree path).
template <class T>
constexpr bool has_duplicate_member_names() {
  std::array<std::string_view, member_count<T>> names{};
  std::size_t n = 0;
  boost::mp11::mp_for_each<Members<T>>([&](auto d) { names[n++] = decltype(d)::name; });
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = i + 1; j < names.size(); ++j) {
      if (names[i] == names[j]) return true;
    }
  }
  return false;
}

// Defined in serialize.hpp, which includes this header.
template <class M>
boost::json::value to_value(const M& value);

template <class M>
void write_json(std::string& out, const M& value) {
  // The same cases, in the same order, as to_value in serialize.hpp.
  if constexpr (is_optional_v<M>) {
    if (value) {
      write_json(out, *value);
    } else {
      out.append("null", 4);
    }
  } else if constexpr (std::is_same_v<M, bool>) {
    if (value) {
      out.append("true", 4);
    } else {
      out.append("false", 5);
    }
  } else if constexpr (Integer<M>) {
    if constexpr (std::is_signed_v<M>) {
      write_integer(out, static_cast<std::int64_t>(value));
    } else {
      write_integer(out, static_cast<std::uint64_t>(value));
    }
  } else if constexpr (std::is_floating_point_v<M>) {
    write_double(out, static_cast<double>(value));
  } else if constexpr (std::is_same_v<M, std::string>) {
    write_string(out, value);
  } else if constexpr (DescribedEnum<M>) {
    if (const char* name = enum_name(value)) {
      write_string(out, name);
    } else {
      write_integer(out, static_cast<std::int64_t>(value));
    }
  } else if constexpr (std::is_same_v<M, TimePoint>) {
    out.push_back('"');
    append_date_time(out, value);
    out.push_back('"');
  } else if constexpr (is_vector_v<M>) {
    out.push_back('[');
    bool first = true;
    for (const auto& item : value) {
      if (!first) out.push_back(',');
      first = false;
      write_json(out, item);
    }
    out.push_back(']');
  } else if constexpr (is_map_v<M>) {
    out.push_back('{');
    bool first = true;
    for (const auto& [key, item] : value) {
      if (!first) out.push_back(',');
      first = false;
      write_string(out, key);
      out.push_back(':');
      write_json(out, item);
    }
    out.push_back('}');
  } else if constexpr (std::is_same_v<M, boost::json::value> ||
                       std::is_same_v<M, boost::json::object>) {
    out += boost::json::serialize(value);
  } else if constexpr (Described<M>) {
    if constexpr (has_duplicate_member_names<M>()) {
      out += boost::json::serialize(to_value(value));
    } else {
      const auto& rules = rules_of<M>();
      out.push_back('{');
      bool first = true;
      for_each_member<M>([&](auto index) {
        using D = boost::mp11::mp_at_c<Members<M>, index>;
        const auto& field = value.*D::pointer;
        if constexpr (is_optional_v<std::remove_cvref_t<decltype(field)>>) {
          if (!field && !rules[index].nullable) return;
        }
        const auto& key = MemberKey<D>::text;
        out.append(key.data() + first, key.size() - first);
        first = false;
        write_json(out, field);
      });
      out.push_back('}');
    }
  } else {
    static_assert(always_false<M>, "unsupported DTO member type");
  }
}

}  // namespace mmx::dto::detail
