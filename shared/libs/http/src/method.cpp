#include "mmx/http/method.hpp"

namespace mmx::http {

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::del: return "DELETE";
    case Method::options: return "OPTIONS";
    case Method::other: return "OTHER";
  }
  return "OTHER";
}

Method parse_method(std::string_view s) noexcept {
  if (s == "GET") return Method::get;
  if (s == "POST") return Method::post;
  if (s == "HEAD") return Method::head;
  if (s == "PUT") return Method::put;
  if (s == "PATCH") return Method::patch;
  if (s == "DELETE") return Method::del;
  if (s == "OPTIONS") return Method::options;
  return Method::other;
}

}  // namespace mmx::http
