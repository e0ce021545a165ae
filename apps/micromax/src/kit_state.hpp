#pragma once
#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "mmx/http/router.hpp"
#include "mmx/module/module.hpp"

namespace mmx::app {

// What the kit's own endpoints need to know about the running process.
struct KitState {
  std::atomic<bool> draining{false};
  std::vector<const module::Module*> running;
  const http::Router* router = nullptr;
  std::chrono::milliseconds readiness_timeout{2000};
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();

  // The OpenAPI document of the running targets (every mounted route that is not hidden).
  // `micromax openapi --target X` prints it; it is committed as shared/contracts/X.openapi.json
  // and served at /openapi.json, so the contract and the live document are the same.
  boost::json::object openapi_document() const;
  // It depends on every mounted route, so it is built on first request (after all modules
  // mounted) and then served from memory.
  const std::string& openapi_json();
  const std::string& openapi_etag();

 private:
  void build_openapi();
  std::once_flag openapi_once_;
  std::string openapi_json_, openapi_etag_;
};

}  // namespace mmx::app
