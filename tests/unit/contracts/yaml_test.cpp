#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "mmx/contracts/yaml.hpp"

namespace {

using mmx::contracts::to_yaml;
namespace json = boost::json;

TEST(Yaml, BlockStyleMappingsAndSequences) {
  json::value v = json::parse(R"({
    "a": {"b": 1, "c": [true, null, 2.5]},
    "list": [{"x": "y", "z": {"w": "v"}}, ["p", "q"], {}, []],
    "empty": {}, "none": []
  })");
  EXPECT_EQ(to_yaml(v),
            "a:\n"
            "  b: 1\n"
            "  c:\n"
            "    - true\n"
            "    - null\n"
            "    - 2.5E0\n"
            "list:\n"
            "  - x: \"y\"\n"  // YAML 1.1 reads a bare y as true
            "    z:\n"
            "      w: v\n"
            "  - - p\n"
            "    - q\n"
            "  - {}\n"
            "  - []\n"
            "empty: {}\n"
            "none: []\n");
}

TEST(Yaml, QuotesStringsThatWouldReadAsSomethingElse) {
  json::value v = json::parse(R"({
    "plain": "application/cloudevents+json",
    "path": "/micromax/backend",
    "number": "1.0", "bool": "true", "yes": "Yes", "null": "~", "empty": "",
    "comment": "#/components/schemas/X", "colon": "a: b", "dash": "- x",
    "pattern": "^[A-Z]{3}$", "quote": "say \"hi\"\n", "trailing": "x ",
    "$ref": "ok", "200": "digits key", "on": "key that reads as a bool"
  })");
  EXPECT_EQ(to_yaml(v),
            "plain: application/cloudevents+json\n"
            "path: /micromax/backend\n"
            "number: \"1.0\"\n"
            "bool: \"true\"\n"
            "\"yes\": \"Yes\"\n"
            "\"null\": \"~\"\n"
            "empty: \"\"\n"
            "comment: \"#/components/schemas/X\"\n"
            "colon: \"a: b\"\n"
            "dash: \"- x\"\n"
            "pattern: \"^[A-Z]{3}$\"\n"
            "quote: \"say \\\"hi\\\"\\n\"\n"
            "trailing: \"x \"\n"
            "$ref: ok\n"
            "\"200\": digits key\n"
            "\"on\": key that reads as a bool\n");
}

}  // namespace
