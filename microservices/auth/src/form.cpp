#include "form.hpp"

#include "mmx/http/query_reader.hpp"

#include <algorithm>

#include "mmx/auth/encoding.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/http/router.hpp"

namespace mmx::auth_service {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

std::string decode_component(std::string_view raw, const std::string& field) {
  std::string out;
  if (!http::percent_decode(raw, out, true)) {
    throw FormError(field, "has a malformed percent-escape");
  }
  return out;
}

}  // namespace

bool is_clean_text(std::string_view text) { return http::is_printable_utf8(text); }

Form Form::parse(std::string_view body, const FormLimits& limits) {
  Form form;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    if (form.fields_.size() >= limits.max_fields) {
      throw FormError("", "has more than " + std::to_string(limits.max_fields) + " parameters");
    }
    auto eq = pair.find('=');
    std::string name = decode_component(pair.substr(0, eq), "");
    if (name.empty() || !is_clean_text(name)) {
      throw FormError("", "has a parameter name that is empty or not printable UTF-8");
    }
    std::string value =
        eq == std::string_view::npos ? std::string() : decode_component(pair.substr(eq + 1), name);
    if (value.size() > limits.max_value_bytes) {
      throw FormError(name, "is longer than " + std::to_string(limits.max_value_bytes) + " bytes");
    }
    if (!is_clean_text(value)) {
      throw FormError(name, "must be UTF-8 text without control characters");
    }
    for (const auto& [n, v] : form.fields_) {
      if (n == name) throw FormError(name, "is given more than once");
    }
    form.fields_.emplace_back(std::move(name), std::move(value));
  }
  return form;
}

std::optional<std::string> Form::get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (n == name) return v.empty() ? std::nullopt : std::optional<std::string>(v);
  }
  return std::nullopt;
}

// Standard base64 is base64url with two other characters (and padding): translated, it
// goes through shared/auth's strict decoder.
std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string url(text);
  for (char& c : url) {
    if (c == '-' || c == '_') return std::nullopt;
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return auth::base64url_decode(url);
}

std::optional<BasicCredentials> parse_basic_auth(std::string_view authorization) {
  authorization = trim(authorization);
  auto space = authorization.find(' ');
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "Basic")) {
    return std::nullopt;
  }
  auto decoded = base64_decode(trim(authorization.substr(space + 1)));
  if (!decoded) throw FormError("authorization", "Basic credentials are not base64");
  auto colon = decoded->find(':');
  if (colon == std::string::npos) {
    throw FormError("authorization", "Basic credentials must be client_id:client_secret");
  }
  BasicCredentials c;
  c.user = decode_component(std::string_view(*decoded).substr(0, colon), "authorization");
  c.password = decode_component(std::string_view(*decoded).substr(colon + 1), "authorization");
  // Swagger UI's Authorize sends "Basic base64(':')" when its client fields are empty.
  if (c.user.empty() && c.password.empty()) return std::nullopt;
  if (c.user.empty() || !is_clean_text(c.user) || !is_clean_text(c.password)) {
    throw FormError("authorization", "Basic credentials must be printable UTF-8 with a client id");
  }
  return c;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view part = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos || trim(part.substr(0, eq)) != name) continue;
    std::string_view value = trim(part.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

}  // namespace mmx::auth_service
