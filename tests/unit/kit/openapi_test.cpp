#include <gtest/gtest.h>

#include "mmx/http/openapi.hpp"

using namespace mmx::http;
namespace json = boost::json;

namespace {

struct Widget {
  std::int64_t id;
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Widget, (), (id, name))
MMX_DTO_CONSTRAINTS(Widget, (name, length(1, 10)))

Handler noop() {
  return [](Request&) -> awaitable<Response> { co_return Response::empty(); };
}

}  // namespace

TEST(OpenApi, DerivesPathsParamsBodiesResponsesSecurityTags) {
  Router r;
  r.set_current_module("widgets");
  r.get("/widgets/{id:int}", noop()).summary("Get").returns<Widget>(200, "The widget");
  r.post("/widgets", noop())
      .body<Widget>()
      .returns<Widget>(201, "Created")
      .auth(AuthRequirement::scopes({"widgets:write"}));
  r.get("/widgets", noop()).query("limit", ParamType::integer, "Page size").auth(AuthRequirement::authenticated());
  r.get("/hidden", noop()).hidden();

  auto doc = build_openapi(r, {.title = "T", .version = "1.2.3", .tags = {{"widgets", "Widgets!"}}});
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_EQ(doc.at("info").at("version"), "1.2.3");
  auto& paths = doc.at("paths").as_object();
  EXPECT_FALSE(paths.contains("/hidden"));
  auto& get = paths.at("/widgets/{id}").at("get").as_object();
  EXPECT_EQ(get.at("operationId"), "get_widgets_id");
  EXPECT_EQ(get.at("tags").as_array()[0], "widgets");
  auto& p = get.at("parameters").as_array()[0];
  EXPECT_EQ(p.at("name"), "id");
  EXPECT_EQ(p.at("in"), "path");
  EXPECT_EQ(p.at("required"), true);
  EXPECT_EQ(p.at("schema").at("type"), "integer");
  EXPECT_EQ(get.at("responses").at("200").at("content").at("application/json").at("schema").at("$ref"),
            "#/components/schemas/Widget");
  EXPECT_TRUE(get.at("responses").as_object().contains("422"));  // has a path parameter

  auto& post = paths.at("/widgets").at("post").as_object();
  EXPECT_EQ(post.at("requestBody").at("content").at("application/json").at("schema").at("$ref"),
            "#/components/schemas/Widget");
  EXPECT_EQ(post.at("security").as_array()[0].at("OAuth2").as_array()[0], "widgets:write");
  EXPECT_TRUE(post.at("responses").as_object().contains("401"));
  EXPECT_TRUE(post.at("responses").as_object().contains("403"));
  auto& list = paths.at("/widgets").at("get").as_object();
  EXPECT_TRUE(list.at("security").as_array()[0].at("OAuth2").as_array().empty());
  EXPECT_FALSE(list.at("responses").as_object().contains("403"));

  auto& comps = doc.at("components").as_object();
  auto& widget = comps.at("schemas").at("Widget").as_object();
  EXPECT_EQ(widget.at("properties").at("name").at("maxLength"), 10);
  EXPECT_TRUE(comps.at("schemas").as_object().contains("Problem"));
  auto& flows = comps.at("securitySchemes").at("OAuth2").at("flows").as_object();
  EXPECT_EQ(flows.at("password").at("tokenUrl"), "/auth/token");
  EXPECT_TRUE(flows.at("password").at("scopes").as_object().contains("widgets:write"));
  EXPECT_EQ(doc.at("tags").as_array()[0].at("description"), "Widgets!");
}

TEST(OpenApi, NoSecuritySchemeWithoutProtectedRoutes) {
  Router r;
  r.get("/a", noop());
  auto doc = build_openapi(r, {});
  EXPECT_FALSE(doc.at("components").as_object().contains("securitySchemes"));
  EXPECT_EQ(doc.at("paths").at("/a").at("get").at("responses").at("200").at("description"), "OK");
}
