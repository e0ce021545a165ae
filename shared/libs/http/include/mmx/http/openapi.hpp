#pragma once
// OpenAPI 3.1 from route declarations and DTO descriptions: paths, parameters, request
// bodies, responses, security and tags are all derived; nothing is written by hand.
#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <vector>

#include "mmx/http/router.hpp"

namespace mmx::http {

struct OpenApiInfo {
  std::string title = "MicroMax";
  std::string version;
  std::string description;
  std::vector<std::pair<std::string, std::string>> tags;  // name, description
  std::string token_url = "/auth/token";                  // OAuth2 password/client flows
};

// `include` selects the routes to document (e.g. those of one module); default: all
// routes that are not hidden.
boost::json::object build_openapi(const Router& router, const OpenApiInfo& info,
                                  const std::function<bool(const Route&)>& include = nullptr);

}  // namespace mmx::http
