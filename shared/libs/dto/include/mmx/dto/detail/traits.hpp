#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "mmx/dto/time.hpp"

namespace mmx::dto::detail {

template <class T>
inline constexpr bool always_false = false;

template <class T>
struct OptionalTraits : std::false_type {
  using type = T;
};
template <class T>
struct OptionalTraits<std::optional<T>> : std::true_type {
  using type = T;
};
template <class T>
inline constexpr bool is_optional_v = OptionalTraits<T>::value;
template <class T>
using unwrap_optional_t = typename OptionalTraits<T>::type;

template <class T>
inline constexpr bool is_vector_v = false;
template <class T, class A>
inline constexpr bool is_vector_v<std::vector<T, A>> = true;

template <class T>
inline constexpr bool is_map_v = false;
template <class T, class C, class A>
inline constexpr bool is_map_v<std::map<std::string, T, C, A>> = true;

template <class T>
concept Integer = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <class T>
concept Number = Integer<T> || std::is_floating_point_v<T>;

template <class T>
concept Described = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;

template <class T>
concept DescribedEnum = std::is_enum_v<T> && boost::describe::has_describe_enumerators<T>::value;

template <class T>
using Members = boost::describe::describe_members<T, boost::describe::mod_public |
                                                         boost::describe::mod_inherited>;

template <class T>
inline constexpr std::size_t member_count = boost::mp11::mp_size<Members<T>>::value;

template <class P>
struct MemberPointerTraits;
template <class M, class C>
struct MemberPointerTraits<M C::*> {
  using type = M;
};

// The declared type of the I-th described member of T.
template <class T, std::size_t I>
using member_type_t = typename MemberPointerTraits<
    std::remove_cv_t<decltype(boost::mp11::mp_at_c<Members<T>, I>::pointer)>>::type;

// Calls f(std::integral_constant<std::size_t, I>) for every described member, in order.
template <class T, class F>
constexpr void for_each_member(F&& f) {
  boost::mp11::mp_for_each<boost::mp11::mp_iota_c<member_count<T>>>(f);
}

}  // namespace mmx::dto::detail
