#pragma once
// Path routing on a segment trie. Templates use {name} (a string segment), {name:int}
// (a signed 64-bit integer), {name:uuid} and {name:path} (the rest of the path, last only).
// Static segments win over parameters; a conflicting registration throws at start-up.
#include <boost/container/small_vector.hpp>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/http/route.hpp"

namespace mmx::http {

struct Match {
  enum class Kind { found, not_found, method_not_allowed, bad_param };
  Kind kind = Kind::not_found;
  const Route* route = nullptr;
  std::vector<std::pair<std::string_view, std::string>> params;
  std::string allow;  // for method_not_allowed (and OPTIONS): "GET, HEAD, POST"
  std::string bad_param, bad_param_message;
};

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  RouteBuilder add(Method method, std::string path, Handler handler, std::string module = {});
  RouteBuilder get(std::string path, Handler h) { return add(Method::get, std::move(path), std::move(h), module_); }
  RouteBuilder post(std::string path, Handler h) { return add(Method::post, std::move(path), std::move(h), module_); }
  RouteBuilder put(std::string path, Handler h) { return add(Method::put, std::move(path), std::move(h), module_); }
  RouteBuilder patch(std::string path, Handler h) { return add(Method::patch, std::move(path), std::move(h), module_); }
  RouteBuilder del(std::string path, Handler h) { return add(Method::del, std::move(path), std::move(h), module_); }

  // Routes added after this carry `module` (the module system sets it while a module mounts).
  void set_current_module(std::string module) { module_ = std::move(module); }

  // HEAD falls back to GET. `path` is the raw (percent-encoded) path.
  Match match(Method method, std::string_view path) const;
  const std::deque<Route>& routes() const { return routes_; }

  using Segments = boost::container::small_vector<std::string_view, 8>;

 private:
  struct Node;
  struct Walker;
  std::unique_ptr<Node> root_;
  std::deque<Route> routes_;  // deque: stable addresses for Match::route
  std::string module_;
};

// Percent-decodes a path segment or query component; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);

}  // namespace mmx::http
