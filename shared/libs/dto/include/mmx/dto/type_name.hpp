#pragma once

#include <string>
#include <string_view>

namespace mmx::dto {

// Specialise to choose the schema/component name of a type:
//   template <> struct mmx::dto::Name<shop::Item> { static constexpr std::string_view value =
//   "Item"; };
template <class T>
struct Name {};

namespace detail {

template <class T>
constexpr std::string_view pretty_function() {
  return __PRETTY_FUNCTION__;
}

// Turns the compiler's spelling into an OpenAPI-safe component name: namespaces dropped,
// template arguments joined with '_' ("Page<shop::Item>" -> "Page_Item").
std::string clean_type_name(std::string_view pretty_function);

}  // namespace detail

template <class T>
std::string type_name() {
  if constexpr (requires { Name<T>::value; }) {
    return std::string(Name<T>::value);
  } else {
    static const std::string name = detail::clean_type_name(detail::pretty_function<T>());
    return name;
  }
}

}  // namespace mmx::dto
