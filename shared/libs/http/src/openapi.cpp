#include "mmx/http/openapi.hpp"

#include <boost/json/serialize.hpp>
#include <map>
#include <set>

namespace mmx::http {
namespace {

namespace json = boost::json;

std::string_view param_type_name(ParamType t) {
  switch (t) {
    case ParamType::integer: return "integer";
    case ParamType::number: return "number";
    case ParamType::boolean: return "boolean";
    default: return "string";
  }
}

std::string_view param_in_name(ParamIn in) {
  switch (in) {
    case ParamIn::path: return "path";
    case ParamIn::header: return "header";
    default: return "query";
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "GET /api/v1/items/{id}" -> "get_api_v1_items_id": stable and unique per route.
std::string derive_operation_id(const Route& r) {
  std::string out = lower(method_name(r.method));
  for (char c : r.openapi_path()) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

json::object problem_schema() {
  json::object err_item{
      {"type", "object"},
      {"properties",
       json::object{{"pointer", {{"type", "string"}, {"description", "JSON pointer into the body"}}},
                    {"parameter", {{"type", "string"}}},
                    {"in", {{"type", "string"}, {"enum", json::array{"path", "query", "header"}}}},
                    {"detail", {{"type", "string"}}}}},
      {"required", json::array{"detail"}}};
  return json::object{
      {"type", "object"},
      {"description", "RFC 9457 problem details"},
      {"properties",
       json::object{{"type", {{"type", "string"}, {"format", "uri-reference"}}},
                    {"title", {{"type", "string"}}},
                    {"status", {{"type", "integer"}, {"minimum", 100}, {"maximum", 599}}},
                    {"detail", {{"type", "string"}}},
                    {"instance", {{"type", "string"}}},
                    {"request_id", {{"type", "string"}}},
                    {"errors", {{"type", "array"}, {"items", err_item}}}}},
      {"required", json::array{"type", "title", "status"}}};
}

json::object problem_response(std::string description) {
  return json::object{
      {"description", std::move(description)},
      {"content",
       {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

void write_pretty(const json::value& v, std::string& out, std::size_t depth) {
  auto newline = [&](std::size_t d) {
    out += '\n';
    out.append(2 * d, ' ');
  };
  if (v.is_object() && !v.get_object().empty()) {
    out += '{';
    bool first = true;
    for (const auto& [key, value] : v.get_object()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      out += json::serialize(json::string_view(key));
      out += ": ";
      write_pretty(value, out, depth + 1);
    }
    newline(depth);
    out += '}';
  } else if (v.is_array() && !v.get_array().empty()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.get_array()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      write_pretty(item, out, depth + 1);
    }
    newline(depth);
    out += ']';
  } else {
    out += json::serialize(v);  // scalars, {} and []
  }
}

}  // namespace

std::string to_pretty_json(const json::value& v) {
  std::string out;
  write_pretty(v, out, 0);
  out += '\n';
  return out;
}

json::object build_openapi(const Router& router, const OpenApiInfo& info,
                           const std::function<bool(const Route&)>& include) {
  dto::SchemaRegistry registry;
  json::object paths;
  std::set<std::string> tags_used;
  std::map<std::string, std::string> scopes;
  bool any_auth = false;

  for (const Route& r : router.routes()) {
    if (r.hidden || (include && !include(r))) continue;
    json::object op;
    op["operationId"] = r.operation_id.empty() ? derive_operation_id(r) : r.operation_id;
    if (!r.summary.empty()) op["summary"] = r.summary;
    if (!r.description.empty()) op["description"] = r.description;
    json::array tags;
    if (r.tags.empty() && !r.module.empty()) tags.push_back(json::string(r.module));
    for (const auto& t : r.tags) tags.push_back(json::string(t));
    for (const auto& t : tags) tags_used.insert(std::string(t.as_string()));
    if (!tags.empty()) op["tags"] = std::move(tags);

    json::array params;
    for (const ParamDoc& p : r.params) {
      json::object po{{"name", p.name},
                      {"in", param_in_name(p.in)},
                      {"required", p.in == ParamIn::path || p.required},
                      {"schema", {{"type", param_type_name(p.type)}}}};
      if (p.type == ParamType::integer) po["schema"].as_object()["format"] = "int64";
      if (!p.description.empty()) po["description"] = p.description;
      params.push_back(std::move(po));
    }
    const bool has_input = !params.empty() || r.request_schema;
    if (!params.empty()) op["parameters"] = std::move(params);

    if (r.request_schema) {
      op["requestBody"] = {{"required", true},
                           {"content", {{r.request_content_type, {{"schema", r.request_schema(registry)}}}}}};
    }

    json::object responses;
    for (const ResponseDoc& d : r.responses) {
      json::object ro{{"description", d.description}};
      if (d.schema) {
        ro["content"] = {{d.content_type, {{"schema", d.schema(registry)}}}};
      } else if (!d.content_type.empty() && d.status != 204) {
        ro["content"] = {{d.content_type, json::object{}}};
      } else if (d.status >= 400) {
        // An error declared by status alone is what the kit answers it with: a problem.
        ro = problem_response(d.description);
      }
      responses[std::to_string(d.status)] = std::move(ro);
    }
    if (responses.empty()) responses["200"] = {{"description", "OK"}};
    if (has_input && !responses.contains("422")) {
      responses["422"] = problem_response("Validation failed: every invalid field is listed.");
    }
    if (r.auth.kind != AuthRequirement::Kind::none) {
      any_auth = true;
      json::array needed;
      if (r.auth.kind == AuthRequirement::Kind::scope ||
          r.auth.kind == AuthRequirement::Kind::service) {
        for (const auto& s : r.auth.values) {
          needed.push_back(json::string(s));
          scopes.emplace(s, "");
        }
      }
      json::array security{json::object{{"OAuth2", std::move(needed)}}};
      // Optional: the empty requirement object means "or no credentials at all".
      if (r.auth.kind == AuthRequirement::Kind::optional) {
        security.insert(security.begin(), json::object{});
      }
      op["security"] = std::move(security);
      if (!responses.contains("401")) {
        responses["401"] = problem_response("Missing, expired or invalid bearer token.");
      }
      if (r.auth.kind != AuthRequirement::Kind::authenticated &&
          r.auth.kind != AuthRequirement::Kind::optional && !responses.contains("403")) {
        responses["403"] = problem_response("The token lacks the required scope or role.");
      }
    }
    if (r.auth.kind == AuthRequirement::Kind::none) {
      op["security"] = json::array{};  // explicitly public, not "forgot to say"
    }
    responses["default"] = problem_response("Error (RFC 9457 problem details).");
    op["responses"] = std::move(responses);

    std::string path = r.openapi_path();
    if (!paths.contains(path)) paths[path] = json::object{};
    paths[path].as_object()[lower(method_name(r.method))] = std::move(op);
  }

  json::object schemas = registry.components();
  schemas["Problem"] = problem_schema();
  json::object components{{"schemas", std::move(schemas)}};
  if (any_auth) {
    json::object scope_obj;
    for (const auto& [s, d] : scopes) scope_obj[s] = d.empty() ? s : d;
    components["securitySchemes"] = {
        {"OAuth2",
         {{"type", "oauth2"},
          {"description", "Bearer JWT issued by the auth service (or any configured OIDC issuer)."},
          {"flows",
           {{"password", {{"tokenUrl", info.token_url}, {"scopes", scope_obj}}},
            {"clientCredentials", {{"tokenUrl", info.token_url}, {"scopes", scope_obj}}}}}}}};
  }

  json::array tags;
  for (const auto& [name, desc] : info.tags) {
    if (tags_used.count(name)) tags.push_back(json::object{{"name", name}, {"description", desc}});
  }
  for (const auto& t : tags_used) {
    bool listed = false;
    for (const auto& [name, _] : info.tags) listed = listed || name == t;
    if (!listed) tags.push_back(json::object{{"name", t}});
  }

  json::object info_obj{{"title", info.title}, {"version", info.version}};
  if (!info.description.empty()) info_obj["description"] = info.description;
  json::object doc{{"openapi", "3.1.0"},
                   {"info", std::move(info_obj)},
                   {"tags", std::move(tags)},
                   {"paths", std::move(paths)},
                   {"components", std::move(components)}};
  return doc;
}

}  // namespace mmx::http
