#include "mmx/dto/schema.hpp"

#include <string>
#include <utility>

namespace mmx::dto::detail {

namespace {

boost::json::value bound_value(const Bound& b) {
  return b.is_int ? boost::json::value(b.i) : boost::json::value(b.d);
}

}  // namespace

bool SchemaDefs::claim(const std::string& name, std::type_index type) {
  auto [it, inserted] = owners_.try_emplace(name, type);
  if (!inserted) {
    if (it->second != type) {
      throw std::logic_error("two different DTO types share the schema name \"" + name +
                             "\"; specialise mmx::dto::Name for one of them");
    }
    return false;
  }
  definitions_[name] = boost::json::object();  // keeps the order in which types were first met
  return true;
}

void SchemaDefs::claim_root(const std::string& name, std::type_index type) {
  owners_.try_emplace(name, type);
  root_ = name;
}

void SchemaDefs::store(const std::string& name, boost::json::object schema) {
  definitions_[name] = std::move(schema);
}

boost::json::object SchemaDefs::ref(const std::string& name) const {
  return {{"$ref", name == root_ ? std::string("#") : prefix_ + name}};
}

void apply_rules(boost::json::object& schema, const FieldRules& rules, bool is_map) {
  if (rules.min_length) schema["minLength"] = *rules.min_length;
  if (rules.max_length) schema["maxLength"] = *rules.max_length;
  if (rules.minimum) schema["minimum"] = bound_value(*rules.minimum);
  if (rules.maximum) schema["maximum"] = bound_value(*rules.maximum);
  if (rules.min_items) schema[is_map ? "minProperties" : "minItems"] = *rules.min_items;
  if (rules.max_items) schema[is_map ? "maxProperties" : "maxItems"] = *rules.max_items;
  if (rules.pattern) schema["pattern"] = rules.pattern->source;
  if (!rules.one_of.empty()) {
    boost::json::array values;
    for (const auto& v : rules.one_of) values.emplace_back(v);
    if (rules.nullable) values.emplace_back(nullptr);
    schema["enum"] = std::move(values);
  }
  if (rules.email) schema["format"] = "email";
  if (!rules.description.empty()) schema["description"] = rules.description;
  if (!rules.examples.empty()) {
    schema["examples"] = boost::json::array(rules.examples.begin(), rules.examples.end());
  }
  if (rules.read_only) schema["readOnly"] = true;
}

void make_nullable(boost::json::object& schema) {
  if (auto* ref = schema.if_contains("$ref")) {
    boost::json::array any_of{boost::json::object{{"$ref", *ref}},
                              boost::json::object{{"type", "null"}}};
    schema.erase("$ref");
    schema["anyOf"] = std::move(any_of);
    return;
  }
  if (auto* type = schema.if_contains("type"); type && type->is_string()) {
    *type = boost::json::array{*type, "null"};
  }
  if (auto* values = schema.if_contains("enum"); values && values->is_array()) {
    values->get_array().emplace_back(nullptr);
  }
}

boost::json::object finish_root_schema(boost::json::object body, const SchemaDefs& defs) {
  boost::json::object schema{{"$schema", "https://json-schema.org/draft/2020-12/schema"}};
  for (auto& kv : body) schema[kv.key()] = std::move(kv.value());
  if (!defs.definitions().empty()) schema["$defs"] = defs.definitions();
  return schema;
}

}  // namespace mmx::dto::detail
