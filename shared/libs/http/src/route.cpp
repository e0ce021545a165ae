#include "mmx/http/route.hpp"

namespace mmx::http {

std::string Route::openapi_path() const {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      auto close = path.find('}', i);
      auto colon = path.find(':', i);
      out += '{';
      out += path.substr(i + 1, (colon < close ? colon : close) - i - 1);
      out += '}';
      i = close;
    } else {
      out += path[i];
    }
  }
  return out;
}

RouteBuilder& RouteBuilder::summary(std::string s) { r_.summary = std::move(s); return *this; }
RouteBuilder& RouteBuilder::description(std::string s) { r_.description = std::move(s); return *this; }
RouteBuilder& RouteBuilder::operation_id(std::string s) { r_.operation_id = std::move(s); return *this; }
RouteBuilder& RouteBuilder::tag(std::string t) { r_.tags.push_back(std::move(t)); return *this; }
RouteBuilder& RouteBuilder::query(std::string name, ParamType type, std::string description,
                                  bool required) {
  r_.params.push_back({std::move(name), ParamIn::query, type, required, std::move(description)});
  return *this;
}
RouteBuilder& RouteBuilder::header(std::string name, std::string description, bool required) {
  r_.params.push_back(
      {std::move(name), ParamIn::header, ParamType::string, required, std::move(description)});
  return *this;
}
RouteBuilder& RouteBuilder::auth(AuthRequirement a) { r_.auth = std::move(a); return *this; }
RouteBuilder& RouteBuilder::body_limit(std::uint64_t bytes) { r_.body_limit = bytes; return *this; }
RouteBuilder& RouteBuilder::hidden() { r_.hidden = true; return *this; }
RouteBuilder& RouteBuilder::returns(int status, std::string description) {
  r_.responses.push_back({status, std::move(description), nullptr, ""});
  return *this;
}
RouteBuilder& RouteBuilder::returns_content(int status, std::string description,
                                            std::string content_type) {
  r_.responses.push_back({status, std::move(description), nullptr, std::move(content_type)});
  return *this;
}

}  // namespace mmx::http
