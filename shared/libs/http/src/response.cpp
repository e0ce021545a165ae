#include "mmx/http/response.hpp"

#include <boost/json/serialize.hpp>
#include "mmx/http/text.hpp"

namespace mmx::http {

Response& Response::set_header(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (iequals(k, name)) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

const std::string* Response::find_header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

Response Response::json(std::string serialized, int status) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(serialized);
  return r;
}

Response Response::json(const boost::json::value& v, int status) {
  return json(boost::json::serialize(v), status);
}

Response Response::text(std::string body, std::string content_type, int status) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::html(std::string body, int status) {
  return text(std::move(body), "text/html; charset=utf-8", status);
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

}  // namespace mmx::http
