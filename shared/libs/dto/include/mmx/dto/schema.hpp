#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <typeindex>
#include <typeinfo>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "mmx/dto/constraints.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/dto/detail/traits.hpp"
#include "mmx/dto/serialize.hpp"
#include "mmx/dto/time.hpp"
#include "mmx/dto/type_name.hpp"

namespace mmx::dto {
namespace detail {

// Named schemas of described structs, referenced as prefix + name. One name per C++ type:
// two different types that would share a name are a programming error, reported at once.
class SchemaDefs {
 public:
  explicit SchemaDefs(std::string prefix) : prefix_(std::move(prefix)) {}

  // True when the caller must build the schema and store() it; the name is reserved first
  // so a self-referencing struct ends up as a $ref, not endless recursion.
  bool claim(const std::string& name, std::type_index type);
  // The struct json_schema() is about: it lives at "#", not in the definitions.
  void claim_root(const std::string& name, std::type_index type);
  void store(const std::string& name, boost::json::object schema);
  boost::json::object ref(const std::string& name) const;
  const boost::json::object& definitions() const noexcept { return definitions_; }

 private:
  std::string prefix_;
  std::string root_;
  boost::json::object definitions_;
  std::map<std::string, std::type_index, std::less<>> owners_;
};

// Adds the keywords of `rules` (minLength, pattern, enum, description, ...) to `schema`.
void apply_rules(boost::json::object& schema, const FieldRules& rules, bool is_map);
// Also lets null through: "type" gains "null", an "enum" gains null, a "$ref" goes in anyOf.
void make_nullable(boost::json::object& schema);
boost::json::object finish_root_schema(boost::json::object body, const SchemaDefs& defs);

template <Integer M>
boost::json::object integer_schema() {
  using Limits = std::numeric_limits<M>;
  boost::json::object s{{"type", "integer"}};
  if constexpr (std::is_signed_v<M> && sizeof(M) == 4) {
    s["format"] = "int32";
  } else if constexpr (std::is_signed_v<M> && sizeof(M) == 8) {
    s["format"] = "int64";
  } else {
    // Narrower or unsigned types: the nearest OpenAPI format plus the type's own bounds.
    if constexpr (std::in_range<std::int32_t>(Limits::max())) {
      s["format"] = "int32";
    } else if constexpr (std::in_range<std::int64_t>(Limits::max())) {
      s["format"] = "int64";
    }
    s["minimum"] = to_value(Limits::min());
    s["maximum"] = to_value(Limits::max());
  }
  return s;
}

template <Described T>
boost::json::object struct_schema(SchemaDefs& defs);

// The schema of a value of type M, without any member's constraints.
template <class M>
boost::json::object schema_of(SchemaDefs& defs) {
  if constexpr (is_optional_v<M>) {
    return schema_of<unwrap_optional_t<M>>(defs);
  } else if constexpr (std::is_same_v<M, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (Integer<M>) {
    return integer_schema<M>();
  } else if constexpr (std::is_floating_point_v<M>) {
    return {{"type", "number"}, {"format", sizeof(M) == 4 ? "float" : "double"}};
  } else if constexpr (std::is_same_v<M, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (DescribedEnum<M>) {
    boost::json::array names;
    for (const auto& name : enum_names<M>()) names.emplace_back(name);
    return {{"type", "string"}, {"enum", std::move(names)}};
  } else if constexpr (std::is_same_v<M, TimePoint>) {
    return {{"type", "string"}, {"format", "date-time"}};
  } else if constexpr (is_vector_v<M>) {
    return {{"type", "array"}, {"items", schema_of<typename M::value_type>(defs)}};
  } else if constexpr (is_map_v<M>) {
    return {{"type", "object"}, {"additionalProperties", schema_of<typename M::mapped_type>(defs)}};
  } else if constexpr (std::is_same_v<M, boost::json::value>) {
    return {};
  } else if constexpr (std::is_same_v<M, boost::json::object>) {
    return {{"type", "object"}};
  } else if constexpr (Described<M>) {
    const std::string name = type_name<M>();
    if (defs.claim(name, typeid(M))) defs.store(name, struct_schema<M>(defs));
    return defs.ref(name);
  } else {
    static_assert(always_false<M>, "unsupported DTO member type");
  }
}

template <Described T>
boost::json::object struct_schema(SchemaDefs& defs) {
  const auto& rules = rules_of<T>();
  boost::json::object properties;
  boost::json::array required;
  for_each_member<T>([&](auto index) {
    using D = boost::mp11::mp_at_c<Members<T>, index>;
    using M = member_type_t<T, index>;
    const FieldRules& r = rules[index];
    boost::json::object property = schema_of<M>(defs);
    if (is_optional_v<M> && r.nullable) make_nullable(property);
    apply_rules(property, r, is_map_v<unwrap_optional_t<M>>);
    if (r.has_default) {
      static const T defaults{};
      const auto& value = defaults.*D::pointer;
      bool absent = false;
      if constexpr (is_optional_v<M>) absent = !value;
      if (!absent) property["default"] = to_value(value);
    }
    properties.emplace(D::name, std::move(property));
    if (!is_optional_v<M> && !r.has_default) required.emplace_back(D::name);
  });
  boost::json::object schema{{"type", "object"}, {"title", type_name<T>()}};
  schema["properties"] = std::move(properties);
  if (!required.empty()) schema["required"] = std::move(required);
  schema["additionalProperties"] = false;
  return schema;
}

}  // namespace detail

// Collects the component schemas an OpenAPI document needs while routes are declared.
class SchemaRegistry {
 public:
  SchemaRegistry() : defs_("#/components/schemas/") {}

  // A described struct gives {"$ref": "#/components/schemas/<Name>"} and registers it and every
  // struct it contains, once; any other type gives its schema inline.
  template <class T>
  boost::json::object ref() {
    return detail::schema_of<T>(defs_);
  }

  const boost::json::object& components() const { return defs_.definitions(); }

 private:
  detail::SchemaDefs defs_;
};

// Self-contained JSON Schema (draft 2020-12) for T; nested structs in "$defs". Built once.
template <class T>
boost::json::object json_schema() {
  static const boost::json::object schema = [] {
    detail::SchemaDefs defs("#/$defs/");
    boost::json::object body;
    if constexpr (detail::Described<T>) {
      defs.claim_root(type_name<T>(), typeid(T));
      body = detail::struct_schema<T>(defs);
    } else {
      body = detail::schema_of<T>(defs);
    }
    return detail::finish_root_schema(std::move(body), defs);
  }();
  return schema;
}

}  // namespace mmx::dto
