#include "mmx/http/router.hpp"

#include <array>
#include <cctype>
#include <functional>
#include <stdexcept>

namespace mmx::http {

enum class ParamKind { string, integer, uuid, path };

struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> statics;
  std::unique_ptr<Node> param;
  std::string param_name;
  ParamKind param_kind = ParamKind::string;
  std::array<const Route*, 8> by_method{};
  bool has_route() const {
    for (auto* r : by_method) {
      if (r) return true;
    }
    return false;
  }
};

namespace {

Router::Segments split_path(std::string_view path) {
  Router::Segments out;
  if (path.size() <= 1) return out;  // "/" or ""
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_int(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size() || s.size() - i > 18) return false;  // 18 digits always fit in int64
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const char* kind_message(ParamKind k) {
  switch (k) {
    case ParamKind::integer: return "must be an integer";
    case ParamKind::uuid: return "must be a UUID";
    default: return "is invalid";
  }
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi << 4 | lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

RouteBuilder Router::add(Method method, std::string path, Handler handler, std::string module) {
  if (path.empty() || path[0] != '/') {
    throw std::logic_error("route path must start with '/': " + path);
  }
  if (method == Method::other) throw std::logic_error("route needs a known method: " + path);
  Node* node = root_.get();
  auto segments = split_path(path);
  std::vector<ParamDoc> path_params;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    if (!seg.empty() && seg.front() == '{') {
      if (seg.back() != '}') throw std::logic_error("bad parameter segment in " + path);
      std::string_view inner = seg.substr(1, seg.size() - 2);
      auto colon = inner.find(':');
      std::string name(inner.substr(0, colon));
      std::string_view type = colon == std::string_view::npos ? "" : inner.substr(colon + 1);
      ParamKind kind;
      ParamType doc_type = ParamType::string;
      if (type.empty() || type == "str") kind = ParamKind::string;
      else if (type == "int") kind = ParamKind::integer, doc_type = ParamType::integer;
      else if (type == "uuid") kind = ParamKind::uuid;
      else if (type == "path") kind = ParamKind::path;
      else throw std::logic_error("unknown parameter type '" + std::string(type) + "' in " + path);
      if (kind == ParamKind::path && i + 1 != segments.size()) {
        throw std::logic_error("{" + name + ":path} must be the last segment in " + path);
      }
      if (!node->param) {
        node->param = std::make_unique<Node>();
        node->param_name = name;
        node->param_kind = kind;
      } else if (node->param_name != name || node->param_kind != kind) {
        throw std::logic_error("route " + path + " conflicts with a parameter named {" +
                               node->param_name + "} at the same position");
      }
      path_params.push_back({name, ParamIn::path, doc_type, true, {}});
      node = node->param.get();
    } else {
      auto it = node->statics.find(seg);
      if (it == node->statics.end()) {
        it = node->statics.emplace(std::string(seg), std::make_unique<Node>()).first;
      }
      node = it->second.get();
    }
  }
  auto idx = static_cast<std::size_t>(method);
  if (node->by_method[idx]) {
    throw std::logic_error("route registered twice: " + std::string(method_name(method)) + " " +
                           path);
  }
  Route& r = routes_.emplace_back();
  r.method = method;
  r.path = std::move(path);
  r.module = std::move(module);
  r.handler = std::move(handler);
  r.params = std::move(path_params);
  node->by_method[idx] = &r;
  return RouteBuilder(r);
}

// Depth-first over the trie, static before parameter, backtracking: "/a/new/edit" still
// reaches "/a/{id}/edit" when "/a/new" exists. A plain struct rather than a recursive
// std::function keeps matching free of heap allocations for typical paths.
struct Router::Walker {
  Method method;
  std::string_view path;
  const Segments& segments;
  Match& result;
  std::vector<std::pair<std::string_view, std::string>> params;

  bool resolve(const Node* node) {
    if (!node->has_route()) return false;
    const Route* r = node->by_method[static_cast<std::size_t>(method)];
    if (!r && method == Method::head) r = node->by_method[static_cast<std::size_t>(Method::get)];
    result.params = params;
    if (r) {
      result.kind = Match::Kind::found;
      result.route = r;
      return true;
    }
    result.kind = Match::Kind::method_not_allowed;
    result.route = nullptr;
    std::string allow;
    static constexpr Method kOrder[] = {Method::get, Method::head, Method::post,
                                        Method::put, Method::patch, Method::del};
    for (Method m : kOrder) {
      bool has = node->by_method[static_cast<std::size_t>(m)] ||
                 (m == Method::head && node->by_method[static_cast<std::size_t>(Method::get)]);
      if (has) allow += (allow.empty() ? "" : ", ") + std::string(method_name(m));
    }
    allow += ", OPTIONS";
    result.allow = std::move(allow);
    return true;
  }

  bool walk(const Node* node, std::size_t i) {
    if (i == segments.size()) return resolve(node);
    std::string_view seg = segments[i];
    if (auto it = node->statics.find(seg); it != node->statics.end()) {
      if (walk(it->second.get(), i + 1)) return true;
    }
    if (!node->param) return false;
    std::string value;
    if (node->param_kind == ParamKind::path) {
      std::string_view rest(seg.data(),
                            static_cast<std::size_t>(path.data() + path.size() - seg.data()));
      if (!percent_decode(rest, value, false) || !node->param->has_route()) return false;
      params.emplace_back(node->param_name, std::move(value));
      if (resolve(node->param.get())) return true;
      params.pop_back();
      return false;
    }
    if (seg.empty() || !percent_decode(seg, value, false)) return false;
    bool ok = node->param_kind == ParamKind::string ||
              (node->param_kind == ParamKind::integer && is_int(value)) ||
              (node->param_kind == ParamKind::uuid && is_uuid(value));
    if (!ok) {
      // Remember the type error; it is the answer only if nothing else matches.
      if (result.kind == Match::Kind::not_found) {
        result.kind = Match::Kind::bad_param;
        result.bad_param = node->param_name;
        result.bad_param_message = kind_message(node->param_kind);
      }
      return false;
    }
    params.emplace_back(node->param_name, std::move(value));
    if (walk(node->param.get(), i + 1)) return true;
    params.pop_back();
    return false;
  }
};

Match Router::match(Method method, std::string_view path) const {
  Match result;
  Segments segments = split_path(path);
  Walker w{method, path, segments, result, {}};
  if (!w.walk(root_.get(), 0) && result.kind != Match::Kind::bad_param) {
    result.kind = Match::Kind::not_found;
  }
  return result;
}

}  // namespace mmx::http
