#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_types.hpp"

namespace other {
// Same unqualified name as shop::Line: the registry must refuse to mix them up.
struct Line {
  int x = 0;
};
BOOST_DESCRIBE_STRUCT(Line, (), (x))
}  // namespace other

namespace shop {
struct Patch {
  std::optional<Kind> kind;
  std::optional<Address> address;
  std::optional<std::string> label;
};
BOOST_DESCRIBE_STRUCT(Patch, (), (kind, address, label))
MMX_DTO_CONSTRAINTS(Patch, (kind, nullable()), (address, nullable(), description("New address")),
                    (label, nullable(), one_of({"a", "b"}), example("a")))
}  // namespace shop

namespace {

namespace json = boost::json;

json::object parsed(std::string_view text) { return json::parse(text).as_object(); }

TEST(Schema, ExactSchemaOfARequestBody) {
  EXPECT_EQ(mmx::dto::json_schema<shop::CreateItem>(), parsed(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "CreateItem",
    "properties": {
      "name": {"type": "string", "minLength": 1, "maxLength": 100,
               "pattern": "^[A-Za-z0-9 _-]+$", "description": "Display name"},
      "price_cents": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 1000000},
      "note": {"type": "string"},
      "kind": {"type": "string", "enum": ["book", "game"]},
      "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1, "maxItems": 50},
      "retries": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 10, "default": 3}
    },
    "required": ["name", "price_cents", "kind", "lines"],
    "additionalProperties": false,
    "$defs": {
      "Line": {
        "type": "object",
        "title": "Line",
        "properties": {
          "sku": {"type": "string", "minLength": 1, "maxLength": 20},
          "quantity": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 99}
        },
        "required": ["sku", "quantity"],
        "additionalProperties": false
      }
    }
  })"));
}

TEST(Schema, EveryKeywordOfAnOrder) {
  auto schema = mmx::dto::json_schema<shop::Order>();
  const auto& p = schema.at("properties").as_object();
  EXPECT_EQ(p.at("id"), json::parse(R"({"type":"integer","format":"int64","readOnly":true})"));
  EXPECT_EQ(p.at("email"), json::parse(R"({"type":"string","format":"email"})"));
  EXPECT_EQ(p.at("address"), json::parse(R"({"$ref":"#/$defs/Address"})"));
  EXPECT_EQ(p.at("billing"), json::parse(R"({"$ref":"#/$defs/Address"})"));
  EXPECT_EQ(p.at("tags"), json::parse(R"({"type":"object","additionalProperties":)"
                                      R"({"type":"integer","format":"int32"},)"
                                      R"("maxProperties":3,"default":{}})"));
  EXPECT_EQ(p.at("kind"),
            json::parse(R"({"type":"string","enum":["book","game"],"default":"book"})"));
  EXPECT_EQ(p.at("placed_at"), json::parse(R"({"type":"string","format":"date-time"})"));
  EXPECT_EQ(p.at("coupon"),
            json::parse(R"({"type":["string","null"],"minLength":4,"maxLength":12})"));
  EXPECT_EQ(schema.at("required"), json::parse(R"(["id","email","address","lines","placed_at"])"));
  EXPECT_EQ(schema.at("$defs").as_object().size(), 2u);  // Address and Line, once each
  EXPECT_EQ(schema, mmx::dto::json_schema<shop::Order>());
}

TEST(Schema, NullableEnumsRefsAndExamples) {
  auto p = mmx::dto::json_schema<shop::Patch>().at("properties").as_object();
  EXPECT_EQ(p.at("kind"), json::parse(R"({"type":["string","null"],"enum":["book","game",null]})"));
  EXPECT_EQ(p.at("address"), json::parse(R"({"anyOf":[{"$ref":"#/$defs/Address"},)"
                                         R"({"type":"null"}],"description":"New address"})"));
  EXPECT_EQ(p.at("label"), json::parse(R"({"type":["string","null"],"enum":["a","b",null],)"
                                       R"("examples":["a"]})"));
  shop::Patch patch;
  EXPECT_EQ(mmx::dto::serialize(patch), R"({"kind":null,"address":null,"label":null})");
}

TEST(Schema, ScalarTypes) {
  auto p = mmx::dto::json_schema<shop::Everything>().at("properties").as_object();
  EXPECT_EQ(p.at("flag"), json::parse(R"({"type":"boolean"})"));
  EXPECT_EQ(p.at("u8"),
            json::parse(R"({"type":"integer","format":"int32","minimum":0,"maximum":255})"));
  EXPECT_EQ(p.at("i16"), json::parse(R"({"type":"integer","format":"int32","minimum":-32768,)"
                                     R"("maximum":32767})"));
  EXPECT_EQ(p.at("u32"), json::parse(R"({"type":"integer","format":"int64","minimum":0,)"
                                     R"("maximum":4294967295})"));
  EXPECT_EQ(p.at("u64"),
            json::parse(R"({"type":"integer","minimum":0,"maximum":18446744073709551615})"));
  EXPECT_EQ(p.at("f"), json::parse(R"({"type":"number","format":"float"})"));
  EXPECT_EQ(p.at("d"), json::parse(R"({"type":"number","format":"double"})"));
  EXPECT_EQ(p.at("maybe"), json::parse(R"({"type":"integer","format":"int32"})"));
  EXPECT_EQ(p.at("list"), json::parse(R"({"type":"array","items":{"type":"string"}})"));
  EXPECT_EQ(p.at("dict"), json::parse(R"({"type":"object","additionalProperties":)"
                                      R"({"type":"number","format":"double"}})"));
  EXPECT_EQ(p.at("any"), json::object());
  EXPECT_EQ(p.at("obj"), json::parse(R"({"type":"object"})"));
  EXPECT_EQ(p.at("bits"), json::parse(R"({"type":"array","items":{"type":"boolean"}})"));
}

TEST(Schema, SelfReferenceEndsInARef) {
  auto schema = mmx::dto::json_schema<shop::Tree>();
  EXPECT_EQ(schema.at("properties").at("children"),
            json::parse(R"({"type":"array","items":{"$ref":"#"}})"));
  EXPECT_FALSE(schema.contains("$defs"));
}

TEST(SchemaRegistry, RegistersNestedComponentsOnce) {
  mmx::dto::SchemaRegistry registry;
  EXPECT_EQ(registry.ref<shop::Order>(), parsed(R"({"$ref":"#/components/schemas/Order"})"));
  EXPECT_EQ(registry.ref<shop::CreateItem>(),
            parsed(R"({"$ref":"#/components/schemas/CreateItem"})"));
  EXPECT_EQ(registry.ref<shop::Order>(), parsed(R"({"$ref":"#/components/schemas/Order"})"));
  std::vector<std::string> names;
  for (const auto& kv : registry.components()) names.emplace_back(kv.key());
  EXPECT_EQ(names, (std::vector<std::string>{"Order", "Address", "Line", "CreateItem"}));
  EXPECT_EQ(registry.components().at("CreateItem").at("properties").at("lines").at("items"),
            json::parse(R"({"$ref":"#/components/schemas/Line"})"));
  EXPECT_FALSE(registry.components().at("Order").as_object().contains("$schema"));
}

TEST(SchemaRegistry, NonStructsAreInline) {
  mmx::dto::SchemaRegistry registry;
  EXPECT_EQ(registry.ref<std::int64_t>(), parsed(R"({"type":"integer","format":"int64"})"));
  EXPECT_EQ(registry.ref<std::vector<shop::Line>>(),
            parsed(R"({"type":"array","items":{"$ref":"#/components/schemas/Line"}})"));
  EXPECT_EQ(registry.components().size(), 1u);
}

TEST(SchemaRegistry, RecursiveStructs) {
  mmx::dto::SchemaRegistry registry;
  registry.ref<shop::Tree>();
  EXPECT_EQ(registry.components().at("Tree").at("properties").at("children").at("items"),
            json::parse(R"({"$ref":"#/components/schemas/Tree"})"));
}

TEST(SchemaRegistry, TwoTypesWithOneNameAreAnError) {
  mmx::dto::SchemaRegistry registry;
  registry.ref<shop::Line>();
  EXPECT_THROW(registry.ref<other::Line>(), std::logic_error);
}

// Just enough of a JSON Schema validator for the keywords this library emits, so the tests can
// check that the schema accepts exactly what from_json accepts.
class MiniValidator {
 public:
  explicit MiniValidator(json::object root) : root_(std::move(root)) {}

  bool accepts(const json::value& v) const { return check(root_, v); }

 private:
  const json::object& resolve(std::string_view ref) const {
    if (ref == "#") return root_;
    return root_.at("$defs").at(ref.substr(std::string_view("#/$defs/").size())).as_object();
  }

  static bool has_type(std::string_view type, const json::value& v) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_bool();
    if (type == "null") return v.is_null();
    if (type == "number") return v.is_number();
    if (type == "integer") {
      return v.is_int64() || v.is_uint64() ||
             (v.is_double() &&
              v.get_double() == static_cast<double>(static_cast<long long>(v.get_double())));
    }
    return false;
  }

  static double number(const json::value& v) { return v.to_number<double>(); }

  static std::size_t limit(const json::object& s, std::string_view keyword) {
    return s.at(keyword).to_number<std::size_t>();
  }

  static std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  }

  bool check(const json::object& s, const json::value& v) const {
    if (const auto* ref = s.if_contains("$ref")) {
      if (!check(resolve(ref->as_string()), v)) return false;
    }
    if (const auto* any_of = s.if_contains("anyOf")) {
      bool one = false;
      for (const auto& sub : any_of->as_array()) one = one || check(sub.as_object(), v);
      if (!one) return false;
    }
    if (const auto* type = s.if_contains("type")) {
      bool ok = false;
      if (type->is_string()) {
        ok = has_type(type->as_string(), v);
      } else {
        for (const auto& t : type->as_array()) ok = ok || has_type(t.as_string(), v);
      }
      if (!ok) return false;
    }
    if (const auto* values = s.if_contains("enum")) {
      bool found = false;
      for (const auto& e : values->as_array()) found = found || e == v;
      if (!found) return false;
    }
    if (v.is_string()) {
      std::string_view str = v.as_string();
      if (s.contains("minLength") && code_points(str) < limit(s, "minLength")) return false;
      if (s.contains("maxLength") && code_points(str) > limit(s, "maxLength")) return false;
      if (s.contains("pattern") &&
          !std::regex_search(std::string(str),
                             std::regex(std::string(s.at("pattern").as_string())))) {
        return false;
      }
      if (s.contains("format") && s.at("format") == "date-time" &&
          !mmx::dto::parse_date_time(str)) {
        return false;
      }
      if (s.contains("format") && s.at("format") == "email" && str.find('@') == str.npos) {
        return false;
      }
    }
    if (v.is_number()) {
      if (s.contains("minimum") && number(v) < number(s.at("minimum"))) return false;
      if (s.contains("maximum") && number(v) > number(s.at("maximum"))) return false;
    }
    if (const auto* array = v.if_array()) {
      if (s.contains("minItems") && array->size() < limit(s, "minItems")) return false;
      if (s.contains("maxItems") && array->size() > limit(s, "maxItems")) return false;
      if (const auto* items = s.if_contains("items")) {
        for (const auto& item : *array) {
          if (!check(items->as_object(), item)) return false;
        }
      }
    }
    if (const auto* object = v.if_object()) {
      if (s.contains("maxProperties") && object->size() > limit(s, "maxProperties")) {
        return false;
      }
      if (const auto* required = s.if_contains("required")) {
        for (const auto& name : required->as_array()) {
          if (!object->contains(name.as_string())) return false;
        }
      }
      const json::object* properties = nullptr;
      if (const auto* p = s.if_contains("properties")) properties = &p->as_object();
      for (const auto& kv : *object) {
        if (properties && properties->contains(kv.key())) {
          if (!check(properties->at(kv.key()).as_object(), kv.value())) return false;
        } else if (const auto* extra = s.if_contains("additionalProperties")) {
          if (extra->is_bool() && !extra->as_bool()) return false;
          if (extra->is_object() && !check(extra->as_object(), kv.value())) return false;
        }
      }
    }
    return true;
  }

  json::object root_;
};

template <class T>
bool parses(const json::value& v, mmx::dto::Direction direction) {
  try {
    mmx::dto::from_json<T>(v, direction);
    return true;
  } catch (const mmx::dto::ValidationError&) {
    return false;
  }
}

template <class T>
void expect_same_verdicts(json::value base, const std::vector<std::string>& edits,
                          mmx::dto::Direction direction = mmx::dto::Direction::request) {
  MiniValidator schema(mmx::dto::json_schema<T>());
  ASSERT_TRUE(schema.accepts(base));
  ASSERT_TRUE(parses<T>(base, direction));
  for (const auto& edit : edits) {
    // Each edit is a JSON object merged into the base: a null value removes the member.
    json::value v = base;
    const json::value patch = json::parse(edit);
    for (const auto& kv : patch.as_object()) {
      if (kv.value().is_null()) {
        v.as_object().erase(kv.key());
      } else {
        v.as_object()[kv.key()] = kv.value();
      }
    }
    EXPECT_EQ(schema.accepts(v), parses<T>(v, direction)) << json::serialize(v);
  }
}

TEST(Schema, AcceptsWhatFromJsonAccepts) {
  expect_same_verdicts<shop::CreateItem>(
      json::parse(R"({"name":"Widget","price_cents":999,"kind":"book",)"
                  R"("lines":[{"sku":"A1","quantity":2}]})"),
      {R"({"name":null})", R"({"color":"red"})", R"({"price_cents":-1})",
       R"({"price_cents":1000001})", R"({"price_cents":"5"})", R"({"kind":"toy"})",
       R"({"lines":[]})", R"({"name":"bad!"})", R"({"name":""})", R"({"name":5})",
       R"({"retries":11})", R"({"retries":0})", R"({"note":"x"})", R"({"note":7})",
       R"({"lines":[{"sku":"A","quantity":0}]})", R"({"lines":[{"sku":"A"}]})",
       R"({"lines":[{"sku":"012345678901234567890","quantity":1}]})",
       R"({"lines":[{"sku":"A","quantity":1,"x":1}]})"});
}

TEST(Schema, AcceptsWhatFromJsonAcceptsForResponses) {
  expect_same_verdicts<shop::Order>(
      json::parse(R"({"id":1,"email":"a@b.co","address":{"street":"s","zip":"12345"},)"
                  R"("lines":[{"sku":"A","quantity":1}],"placed_at":"2026-11-24T17:58:07Z"})"),
      {R"({"id":null})", R"({"email":"nope"})", R"({"placed_at":"2026-02-30T00:00:00Z"})",
       R"({"placed_at":"2026-11-24T17:58:07.5+01:00"})", R"({"coupon":null})",
       R"({"coupon":"abc"})", R"({"coupon":"abcd"})", R"({"tags":{"a":1,"b":2,"c":3,"d":4}})",
       R"({"tags":{"a":"x"}})", R"({"kind":"toy"})", R"({"kind":"game"})",
       R"({"billing":{"street":"s","zip":"1"}})", R"({"address":{"street":"s"}})"},
      mmx::dto::Direction::response);
}

}  // namespace
