#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>
#include <boost/preprocessor/punctuation/comma_if.hpp>
#include <boost/preprocessor/seq/for_each_i.hpp>
#include <boost/preprocessor/variadic/to_seq.hpp>

#include "mmx/dto/detail/traits.hpp"

namespace mmx::dto {

inline constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

namespace detail {

// A numeric bound kept exact for integers: a double cannot hold every int64.
struct Bound {
  std::int64_t i = 0;
  double d = 0;
  bool is_int = true;
};

template <Number N>
constexpr Bound make_bound(N n) {
  if constexpr (Integer<N>) {
    if (std::in_range<std::int64_t>(n)) return {static_cast<std::int64_t>(n), 0, true};
  }
  return {0, static_cast<double>(n), false};
}

// Wraps std::regex (src/pattern.cpp) so that <regex> stays out of every TU that declares a DTO.
class CompiledPattern;

struct Pattern {
  std::string source;
  std::shared_ptr<const CompiledPattern> compiled;
};

// Throws std::invalid_argument naming the pattern when it is not a valid ECMAScript regex.
std::shared_ptr<const CompiledPattern> compile_pattern(std::string_view source);
// JSON Schema semantics: a search, anchored only where the pattern says so.
bool pattern_matches(const CompiledPattern& pattern, std::string_view text);

// Everything declared for one member, flattened so the hot path reads plain fields.
struct FieldRules {
  std::optional<std::size_t> min_length, max_length;
  std::optional<Bound> minimum, maximum;
  std::optional<std::size_t> min_items, max_items;
  std::optional<Pattern> pattern;
  std::vector<std::string> one_of;
  std::vector<boost::json::value> examples;
  std::string description;
  bool email = false;
  bool has_default = false;
  bool read_only = false;
  bool nullable = false;
};

template <class M>
inline constexpr bool is_string_member = std::is_same_v<unwrap_optional_t<M>, std::string>;

}  // namespace detail

// Constraint values returned by the functions below; `applies_to<M>` turns a constraint on the
// wrong member type into a compile error instead of a silently ignored rule.
namespace rule {

struct Length {
  std::size_t min, max;
  template <class M>
  static constexpr bool applies_to = detail::is_string_member<M>;
  void apply(detail::FieldRules& r) const {
    if (min > 0) r.min_length = min;
    if (max != unbounded) r.max_length = max;
  }
};

struct Range {
  std::optional<detail::Bound> min, max;
  template <class M>
  static constexpr bool applies_to = detail::Number<detail::unwrap_optional_t<M>>;
  void apply(detail::FieldRules& r) const {
    if (min) r.minimum = min;
    if (max) r.maximum = max;
  }
};

struct Pattern {
  std::string_view source;
  template <class M>
  static constexpr bool applies_to = detail::is_string_member<M>;
  void apply(detail::FieldRules& r) const {
    // Compiled once: rules live in a function-local static (see rules_of).
    r.pattern = detail::Pattern{std::string(source), detail::compile_pattern(source)};
  }
};

struct OneOf {
  std::vector<std::string> values;
  template <class M>
  static constexpr bool applies_to = detail::is_string_member<M>;
  void apply(detail::FieldRules& r) const { r.one_of = values; }
};

struct Items {
  std::size_t min, max;
  template <class M>
  static constexpr bool applies_to = detail::is_vector_v<detail::unwrap_optional_t<M>> ||
                                     detail::is_map_v<detail::unwrap_optional_t<M>>;
  void apply(detail::FieldRules& r) const {
    if (min > 0) r.min_items = min;
    if (max != unbounded) r.max_items = max;
  }
};

struct Email {
  template <class M>
  static constexpr bool applies_to = detail::is_string_member<M>;
  void apply(detail::FieldRules& r) const { r.email = true; }
};

struct Description {
  std::string_view text;
  template <class M>
  static constexpr bool applies_to = true;
  void apply(detail::FieldRules& r) const { r.description = std::string(text); }
};

struct Example {
  boost::json::value value;
  template <class M>
  static constexpr bool applies_to = true;
  void apply(detail::FieldRules& r) const { r.examples.push_back(value); }
};

struct HasDefault {
  template <class M>
  static constexpr bool applies_to = true;
  void apply(detail::FieldRules& r) const { r.has_default = true; }
};

struct ReadOnly {
  template <class M>
  static constexpr bool applies_to = true;
  void apply(detail::FieldRules& r) const { r.read_only = true; }
};

struct Nullable {
  template <class M>
  static constexpr bool applies_to = detail::is_optional_v<M>;
  void apply(detail::FieldRules& r) const { r.nullable = true; }
};

}  // namespace rule

// String length in Unicode code points, inclusive.
constexpr rule::Length length(std::size_t min, std::size_t max = unbounded) { return {min, max}; }

template <detail::Number Lo, detail::Number Hi>
constexpr rule::Range range(Lo min, Hi max) {
  return {detail::make_bound(min), detail::make_bound(max)};
}
template <detail::Number N>
constexpr rule::Range minimum(N min) {
  return {detail::make_bound(min), std::nullopt};
}
template <detail::Number N>
constexpr rule::Range maximum(N max) {
  return {std::nullopt, detail::make_bound(max)};
}

// ECMAScript regex searched like JSON Schema's `pattern` (unanchored): write ^...$ to anchor.
constexpr rule::Pattern pattern(std::string_view ecma_regex) { return {ecma_regex}; }

inline rule::OneOf one_of(std::initializer_list<std::string_view> values) {
  return {std::vector<std::string>(values.begin(), values.end())};
}

// Element count of a vector, or entry count of a map, inclusive.
constexpr rule::Items items(std::size_t min, std::size_t max = unbounded) { return {min, max}; }
constexpr rule::Email email() { return {}; }
constexpr rule::Description description(std::string_view text) { return {text}; }
inline rule::Example example(boost::json::value value) { return {std::move(value)}; }
// Absent in a request keeps the struct's default member initializer.
constexpr rule::HasDefault has_default() { return {}; }
// Sent in responses; a request that carries it is rejected (see Direction).
constexpr rule::ReadOnly read_only() { return {}; }
// An optional that serializes as null instead of being omitted.
constexpr rule::Nullable nullable() { return {}; }

namespace detail {

template <class T>
using MemberRules = std::array<FieldRules, member_count<T>>;

inline constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

template <class A, class B>
constexpr bool same_member(A a, B b) {
  if constexpr (std::is_same_v<A, B>) {
    return a == b;
  } else {
    return false;
  }
}

template <class T, class P>
consteval std::size_t member_index(P pointer) {
  return []<std::size_t... I>(P p, std::index_sequence<I...>) {
    std::size_t found = npos;
    ((same_member(boost::mp11::mp_at_c<Members<T>, I>::pointer, p) ? (found = I, true) : false) ||
     ...);
    return found;
  }
  (pointer, std::make_index_sequence<member_count<T>>{});
}

struct Entry {
  std::size_t index;
  FieldRules rules;
};

template <class T, std::size_t I, class... C>
Entry entry(const C&... constraints) {
  static_assert(I != npos,
                "MMX_DTO_CONSTRAINTS names a member that BOOST_DESCRIBE_STRUCT does not list");
  using M = member_type_t<T, I>;
  static_assert((C::template applies_to<M> && ...),
                "a constraint does not apply to this member's type (see mmx/dto/constraints.hpp)");
  Entry e{I, {}};
  (constraints.apply(e.rules), ...);
  return e;
}

template <class T, class... E>
MemberRules<T> make_rules(E&&... entries) {
  MemberRules<T> rules;
  ((rules[entries.index] = std::move(entries.rules)), ...);
  return rules;
}

template <class T>
concept HasConstraints = requires(T* p) {
  mmx_dto_constraints(p);
};

// Built once per type; regexes included.
template <class T>
const MemberRules<T>& rules_of() {
  if constexpr (HasConstraints<T>) {
    static const MemberRules<T> rules = mmx_dto_constraints(static_cast<T*>(nullptr));
    return rules;
  } else {
    static const MemberRules<T> rules{};
    return rules;
  }
}

}  // namespace detail
}  // namespace mmx::dto

#define MMX_DTO_DETAIL_UNPAREN(...) __VA_ARGS__
#define MMX_DTO_DETAIL_ENTRY_II(Type, member, ...)                                        \
  ::mmx::dto::detail::entry<Type, ::mmx::dto::detail::member_index<Type>(&Type::member)>( \
      __VA_ARGS__)
#define MMX_DTO_DETAIL_ENTRY_I(Type, ...) MMX_DTO_DETAIL_ENTRY_II(Type, __VA_ARGS__)
#define MMX_DTO_DETAIL_ENTRY(r, Type, i, elem) \
  BOOST_PP_COMMA_IF(i) MMX_DTO_DETAIL_ENTRY_I(Type, MMX_DTO_DETAIL_UNPAREN elem)

// Declares the constraints of a described struct, once, next to it:
//   MMX_DTO_CONSTRAINTS(CreateItem, (name, length(1, 100)), (price_cents, range(0, 1'000'000)))
// Use it in the struct's own namespace: it defines a function found by argument-dependent lookup.
// The block-scope using-declarations make the constraint names win over any same-named function
// in the user's namespace.
#define MMX_DTO_CONSTRAINTS(Type, ...)                                       \
  inline ::mmx::dto::detail::MemberRules<Type> mmx_dto_constraints(Type*) {  \
    using ::mmx::dto::description;                                           \
    using ::mmx::dto::email;                                                 \
    using ::mmx::dto::example;                                               \
    using ::mmx::dto::has_default;                                           \
    using ::mmx::dto::items;                                                 \
    using ::mmx::dto::length;                                                \
    using ::mmx::dto::maximum;                                               \
    using ::mmx::dto::minimum;                                               \
    using ::mmx::dto::nullable;                                              \
    using ::mmx::dto::one_of;                                                \
    using ::mmx::dto::pattern;                                               \
    using ::mmx::dto::range;                                                 \
    using ::mmx::dto::read_only;                                             \
    using ::mmx::dto::unbounded;                                             \
    return ::mmx::dto::detail::make_rules<Type>(BOOST_PP_SEQ_FOR_EACH_I(     \
        MMX_DTO_DETAIL_ENTRY, Type, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__))); \
  }
