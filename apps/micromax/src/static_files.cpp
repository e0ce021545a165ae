#include "static_files.hpp"

#include "mmx/errors/http_error.hpp"
#include "mmx/web/assets.hpp"

namespace mmx::app {
namespace {

// Swagger UI and Redoc need inline styles, data: images and (Redoc) a blob: worker;
// nothing is loaded from another origin.
constexpr std::string_view kDocsCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'";

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  // A list of entity tags, possibly weak: compare opaque tags (RFC 9110 weak comparison).
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    std::string_view t = if_none_match.substr(0, comma);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (t.starts_with("W/")) t.remove_prefix(2);
    if (t == "*" || t == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

bool accepts_gzip(const http::Request& req) {
  auto ae = req.header("Accept-Encoding");
  return ae && ae->find("gzip") != std::string_view::npos;
}

// The gzip body is another representation of the resource, so it gets its own ETag.
std::string gzip_etag(std::string_view etag) {
  std::string out(etag.substr(0, etag.size() - 1));
  return out + "-gz\"";
}

http::Response serve_asset(const http::Request& req, const web::Asset& a, bool own_page) {
  http::Response resp;
  const bool gzip = !a.gzip_body.empty() && accepts_gzip(req);
  const std::string etag = gzip ? gzip_etag(a.etag) : std::string(a.etag);
  resp.set_header("ETag", etag);
  resp.set_header("Cache-Control", own_page ? "no-cache" : "public, max-age=86400");
  resp.set_header("X-Content-Type-Options", "nosniff");
  if (a.content_type.starts_with("text/html")) {
    resp.set_header("Content-Security-Policy", std::string(kDocsCsp));
  }
  if (!a.gzip_body.empty()) resp.set_header("Vary", "Accept-Encoding");
  if (auto inm = req.header("If-None-Match"); inm && etag_matches(*inm, etag)) {
    resp.status = 304;
    return resp;
  }
  resp.content_type = std::string(a.content_type);
  if (gzip) {
    resp.set_header("Content-Encoding", "gzip");
    resp.body = std::string(a.gzip_body);
  } else {
    resp.body = std::string(a.body);
  }
  return resp;
}

http::Handler page(std::string asset_path) {
  return [asset_path](http::Request& req) -> http::awaitable<http::Response> {
    const web::Asset* a = web::find_asset(asset_path);
    if (!a) throw errors::not_found("Asset " + asset_path + " is not embedded in this build.");
    co_return serve_asset(req, *a, true);
  };
}

}  // namespace

void mount_static_files(http::Router& router) {
  router.get("/static/{file:path}", [](http::Request& req) -> http::awaitable<http::Response> {
    std::string path = "/static/" + std::string(req.param("file"));
    const web::Asset* a = web::find_asset(path);
    if (!a) throw errors::not_found("No static file " + path + ".");
    co_return serve_asset(req, *a, false);
  }).hidden();
  router.get("/docs", page("/static/docs.html")).hidden();
  router.get("/redoc", page("/static/redoc.html")).hidden();
}

}  // namespace mmx::app
