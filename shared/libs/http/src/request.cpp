#include "mmx/http/request.hpp"

#include <strings.h>

#include <boost/json/array.hpp>

#include "mmx/errors/http_error.hpp"
#include "mmx/http/router.hpp"
#include "mmx/http/text.hpp"

namespace mmx::http {
namespace {

struct Owned {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace

Request::Request(Method method, std::string_view method_name, std::string_view target,
                 HeaderList headers, std::string body, unsigned version)
    : method_(method),
      method_name_(method_name),
      target_(target),
      version_(version),
      headers_(std::move(headers)),
      body_(std::move(body)) {
  auto q = target_.find('?');
  path_ = target_.substr(0, q);
  if (q != std::string_view::npos) query_ = target_.substr(q + 1);
}

Request Request::make(Method method, std::string target,
                      std::vector<std::pair<std::string, std::string>> headers,
                      std::string body) {
  auto owned = std::make_shared<Owned>();
  owned->method = std::string(::mmx::http::method_name(method));
  owned->target = std::move(target);
  owned->headers = std::move(headers);
  HeaderList views;
  for (const auto& [k, v] : owned->headers) views.emplace_back(k, v);
  Request r(method, owned->method, owned->target, std::move(views), std::move(body));
  r.owned_ = std::move(owned);
  return r;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers_) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

void Request::parse_query() const {
  query_params_.emplace();
  std::string_view q = query_;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string k, v;
    // A malformed escape keeps the raw text rather than failing the whole request; the
    // typed accessors still reject values that do not parse.
    if (!percent_decode(part.substr(0, eq), k, true)) k = std::string(part.substr(0, eq));
    if (eq != std::string_view::npos && !percent_decode(part.substr(eq + 1), v, true)) {
      v = std::string(part.substr(eq + 1));
    }
    query_params_->emplace_back(std::move(k), std::move(v));
  }
}

std::optional<std::string> Request::query(std::string_view name) const {
  if (!query_params_) parse_query();
  for (const auto& [k, v] : *query_params_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Request::query_all(std::string_view name) const {
  if (!query_params_) parse_query();
  std::vector<std::string> out;
  for (const auto& [k, v] : *query_params_) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v;
  }
  throw std::logic_error("route has no path parameter '" + std::string(name) + "'");
}

std::int64_t Request::param_int(std::string_view name) const {
  auto v = param(name);
  std::int64_t out = 0;
  // The router already checked {name:int} segments; this guards {name} misuse.
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    throw errors::HttpError(422, "path parameter '" + std::string(name) + "' must be an integer");
  }
  return out;
}

void Request::set_trace(const tracing::TraceContext& t) {
  trace_ = t;
  trace_id_hex_ = t.trace_id_hex();
  span_id_hex_.clear();
}

void Request::require_json_body() const {
  auto ct = header("Content-Type");
  std::string_view v = ct ? *ct : std::string_view{};
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  bool json = iequals(v, "application/json") ||
              (v.size() > 5 && iequals(v.substr(v.size() - 5), "+json"));
  if (!json) {
    throw errors::unsupported_media_type("The request body must be JSON (Content-Type: "
                                         "application/json).");
  }
}

void Request::bad_query(std::string_view name, std::string_view expected) {
  boost::json::array errs;
  errs.push_back({{"parameter", name}, {"in", "query"}, {"detail", expected}});
  throw std::move(errors::HttpError(422, "query parameter '" + std::string(name) + "' " +
                                             std::string(expected) + ".")
                      .with_type("urn:micromax:problem:validation")
                      .with_extension("errors", std::move(errs)));
}

}  // namespace mmx::http
