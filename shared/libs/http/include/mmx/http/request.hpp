#pragma once
// What a handler sees of a request. The server fills it with views into the parsed message
// (which outlives the handler), so building one copies no header.
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>
#include <vector>

#include "mmx/dto/dto.hpp"
#include "mmx/http/method.hpp"
#include "mmx/log/log.hpp"
#include "mmx/tracing/context.hpp"

namespace mmx::http {

struct Route;
using HeaderView = std::pair<std::string_view, std::string_view>;
// Inline room for a typical request's headers: no heap allocation per request for them.
using HeaderList = boost::container::small_vector<HeaderView, 16>;

// What middleware may remember across the requests of one keep-alive connection (the
// last bearer token and who it proved, say). Requests of a connection are handled one at
// a time, so no locking; it dies with the connection.
class ConnectionState {
 public:
  template <class T>
  T* get() const {
    for (const auto& [k, p] : slots_)
      if (k == typeid(T)) return static_cast<T*>(p.get());
    return nullptr;
  }
  template <class T>
  T& get_or_create() {
    if (T* t = get<T>()) return *t;
    auto p = std::make_shared<T>();
    T& ref = *p;
    slots_.emplace_back(typeid(T), std::move(p));
    return ref;
  }

 private:
  std::vector<std::pair<std::type_index, std::shared_ptr<void>>> slots_;
};

class Request {
 public:
  Request() = default;
  Request(Method method, std::string_view method_name, std::string_view target,
          HeaderList headers, std::string body, unsigned version = 11);
  // A request that owns its strings: for tests and for requests synthesised by the kit.
  static Request make(Method method, std::string target,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::string body = {});

  Method method() const { return method_; }
  std::string_view method_name() const { return method_name_; }
  std::string_view target() const { return target_; }
  std::string_view path() const { return path_; }  // target without the query, not decoded
  std::string_view query_string() const { return query_; }
  unsigned version() const { return version_; }  // 10 or 11
  const HeaderList& headers() const { return headers_; }
  std::optional<std::string_view> header(std::string_view name) const;  // case-insensitive
  const std::string& body() const { return body_; }

  // Query parameters, percent-decoded ('+' is a space). The first occurrence wins.
  std::optional<std::string> query(std::string_view name) const;
  std::vector<std::string> query_all(std::string_view name) const;
  // Typed query parameter; a value that does not parse is a 422 naming the parameter.
  template <class T>
  std::optional<T> query_as(std::string_view name) const;

  // Path parameters, percent-decoded, typed as the route template declared them.
  std::string_view param(std::string_view name) const;
  std::int64_t param_int(std::string_view name) const;

  // Parses and validates the JSON body into a described DTO: 415 unless the content type
  // is JSON, 422 listing every invalid field.
  template <class T>
  T json() const {
    require_json_body();
    return dto::parse<T>(body_);
  }

  // Request context filled by the kit's middleware.
  const std::string& request_id() const { return request_id_; }
  void set_request_id(std::string id) { request_id_ = std::move(id); }
  const tracing::TraceContext& trace() const { return trace_; }
  void set_trace(const tracing::TraceContext& t);
  const std::string& trace_id_hex() const { return trace_id_hex_; }
  // Formatted on first use: most requests never log a span id.
  const std::string& span_id_hex() const {
    if (span_id_hex_.empty()) span_id_hex_ = trace_.span_id_hex();
    return span_id_hex_;
  }
  log::Context log_context() const { return {request_id_, trace_id_hex_, span_id_hex()}; }
  std::string_view remote_address() const { return remote_; }
  void set_remote_address(std::string_view r) { remote_ = r; }

  // The connection's state; null for requests that come from no connection (tests).
  ConnectionState* connection_state() const { return connection_; }
  void set_connection_state(ConnectionState* c) { connection_ = c; }

  const Route* route() const { return route_; }
  void set_route(const Route* r, std::vector<std::pair<std::string_view, std::string>> params) {
    route_ = r;
    params_ = std::move(params);
  }

  // Typed slots for what middleware learns (the authenticated principal, say).
  template <class T>
  void set_attribute(std::shared_ptr<T> v) {
    for (auto& [k, p] : attributes_) {
      if (k == typeid(T)) {
        p = std::move(v);
        return;
      }
    }
    attributes_.emplace_back(typeid(T), std::move(v));
  }
  template <class T>
  T* attribute() const {
    for (const auto& [k, p] : attributes_) {
      if (k == typeid(T)) return static_cast<T*>(p.get());
    }
    return nullptr;
  }

 private:
  void require_json_body() const;
  [[noreturn]] static void bad_query(std::string_view name, std::string_view expected);
  void parse_query() const;

  Method method_ = Method::get;
  std::string_view method_name_ = "GET";
  std::string_view target_, path_, query_;
  unsigned version_ = 11;
  HeaderList headers_;
  std::string body_;
  std::string request_id_, trace_id_hex_;
  mutable std::string span_id_hex_;
  tracing::TraceContext trace_;
  std::string_view remote_;
  const Route* route_ = nullptr;
  ConnectionState* connection_ = nullptr;
  std::vector<std::pair<std::string_view, std::string>> params_;
  mutable std::optional<std::vector<std::pair<std::string, std::string>>> query_params_;
  std::vector<std::pair<std::type_index, std::shared_ptr<void>>> attributes_;
  std::shared_ptr<void> owned_;  // storage behind the views, for Request::make
};

template <class T>
std::optional<T> Request::query_as(std::string_view name) const {
  auto raw = query(name);
  if (!raw) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) {
    return raw;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (*raw == "true" || *raw == "1") return true;
    if (*raw == "false" || *raw == "0") return false;
    bad_query(name, "must be true or false");
  } else if constexpr (std::is_integral_v<T>) {
    T v{};
    auto r = std::from_chars(raw->data(), raw->data() + raw->size(), v);
    if (raw->empty() || r.ec != std::errc() || r.ptr != raw->data() + raw->size()) {
      bad_query(name, "must be an integer");
    }
    return v;
  } else {
    static_assert(std::is_floating_point_v<T>, "query_as: unsupported type");
    T v{};
    auto r = std::from_chars(raw->data(), raw->data() + raw->size(), v);
    if (raw->empty() || r.ec != std::errc() || r.ptr != raw->data() + raw->size()) {
      bad_query(name, "must be a number");
    }
    return v;
  }
}

}  // namespace mmx::http
