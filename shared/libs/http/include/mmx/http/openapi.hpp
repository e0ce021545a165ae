#pragma once
// OpenAPI 3.1 from route declarations and DTO descriptions: paths, parameters, request
// bodies, responses, security and tags are all derived; nothing is written by hand.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
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

// The committed contracts' format (shared/contracts/*.openapi.json), made for a human to diff:
// two-space indent, keys in document order, one value per line, a trailing newline. The
// layout of Python's json.dumps(doc, indent=2, ensure_ascii=False) plus "\n".
std::string to_pretty_json(const boost::json::value& v);

}  // namespace mmx::http
