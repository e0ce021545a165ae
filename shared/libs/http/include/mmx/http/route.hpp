#pragma once
// A route: method, path template, handler, and the declarations that document it (the
// OpenAPI document is generated from these, never written by hand).
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mmx/dto/dto.hpp"
#include "mmx/http/handler.hpp"
#include "mmx/http/method.hpp"

namespace mmx::http {

// What a caller must present. The kit records it; shared/auth enforces it through the
// auth middleware hook and the OpenAPI generator documents it.
struct AuthRequirement {
  // optional: anyone, but a bearer token that is sent must be valid (401 otherwise) and its
  // principal reaches the handler (a public catalog that shows staff more, say).
  enum class Kind { none, optional, authenticated, scope, role, service };
  Kind kind = Kind::none;
  std::vector<std::string> values;  // scopes or roles

  static AuthRequirement none() { return {}; }
  static AuthRequirement optional() { return {Kind::optional, {}}; }
  static AuthRequirement authenticated() { return {Kind::authenticated, {}}; }
  static AuthRequirement scopes(std::vector<std::string> s) { return {Kind::scope, std::move(s)}; }
  static AuthRequirement roles(std::vector<std::string> r) { return {Kind::role, std::move(r)}; }
  static AuthRequirement service(std::vector<std::string> s) {
    return {Kind::service, std::move(s)};
  }
};

using SchemaFn = std::function<boost::json::object(dto::SchemaRegistry&)>;

enum class ParamType { string, integer, number, boolean };
enum class ParamIn { path, query, header };

struct ParamDoc {
  std::string name;
  ParamIn in = ParamIn::query;
  ParamType type = ParamType::string;
  bool required = false;
  std::string description;
};

struct ResponseDoc {
  int status = 200;
  std::string description;
  SchemaFn schema;  // empty: no body
  std::string content_type = "application/json";
};

struct Route {
  Method method = Method::get;
  std::string path;    // template, e.g. "/api/v1/items/{id:int}"
  std::string module;  // the module that registered it; its OpenAPI tag by default
  Handler handler;
  std::string summary, description, operation_id;
  std::vector<std::string> tags;
  std::vector<ParamDoc> params;  // path params are filled from the template
  SchemaFn request_schema;
  std::string request_content_type = "application/json";
  std::vector<ResponseDoc> responses;
  AuthRequirement auth;
  bool hidden = false;  // kept out of the OpenAPI document (static assets, say)
  // Largest request body for this route; empty: the server's MMX_BODY_LIMIT.
  std::optional<std::uint64_t> body_limit;

  std::string openapi_path() const;  // "/api/v1/items/{id}"
};

// Fluent declarations on a freshly added route.
class RouteBuilder {
 public:
  explicit RouteBuilder(Route& r) : r_(r) {}
  RouteBuilder& summary(std::string s);
  RouteBuilder& description(std::string s);
  RouteBuilder& operation_id(std::string s);
  RouteBuilder& tag(std::string t);
  RouteBuilder& query(std::string name, ParamType type, std::string description,
                      bool required = false);
  RouteBuilder& header(std::string name, std::string description, bool required = false);
  RouteBuilder& auth(AuthRequirement a);
  RouteBuilder& hidden();
  RouteBuilder& body_limit(std::uint64_t bytes);
  RouteBuilder& returns(int status, std::string description);
  RouteBuilder& returns_content(int status, std::string description, std::string content_type);
  template <class T>
  RouteBuilder& body() {
    r_.request_schema = [](dto::SchemaRegistry& reg) { return reg.template ref<T>(); };
    return *this;
  }
  template <class T>
  RouteBuilder& returns(int status, std::string description) {
    r_.responses.push_back(
        {status, std::move(description),
         [](dto::SchemaRegistry& reg) { return reg.template ref<T>(); }, "application/json"});
    return *this;
  }
  Route& route() { return r_; }

 private:
  Route& r_;
};

}  // namespace mmx::http
