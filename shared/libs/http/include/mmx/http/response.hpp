#pragma once
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmx/dto/dto.hpp"

namespace mmx::http {

struct Response {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  Response& set_header(std::string name, std::string value);
  const std::string* find_header(std::string_view name) const;  // case-insensitive

  static Response json(std::string serialized, int status = 200);
  static Response json(const boost::json::value& v, int status = 200);
  // A described DTO, serialized through its description.
  template <class T>
  static Response of(const T& dto, int status = 200) {
    return json(dto::serialize(dto), status);
  }
  static Response text(std::string body, std::string content_type = "text/plain; charset=utf-8",
                       int status = 200);
  static Response html(std::string body, int status = 200);
  static Response empty(int status = 204);
};

}  // namespace mmx::http
