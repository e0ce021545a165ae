#pragma once

// Browser assets (Swagger UI, Redoc, our own pages) compiled into the binary, so a deployment
// is one file and nothing is fetched from npm or a CDN at run time. The list is fixed at build
// time by web/CMakeLists.txt.

#include <span>
#include <string_view>

namespace mmx::web {

struct Asset {
  std::string_view path;          // URL path, e.g. "/static/docs.html"
  std::string_view content_type;  // ready for the Content-Type header
  std::string_view body;          // identity bytes
  // `gzip -9` of body, for Content-Encoding: gzip (send `Vary: Accept-Encoding`). Empty when
  // gzip would not be smaller (e.g. PNG): then always send body.
  std::string_view gzip_body;
  // Strong ETag of body, quoted as the header wants it: "\"<16 hex of sha256>\"". Identity and
  // gzip are different representations, so a server sending gzip_body should tag it
  // distinctly (e.g. insert "-gz" before the closing quote) and accept both in If-None-Match.
  std::string_view etag;
};

// Exact match on the URL path (no normalisation, no query string); nullptr if none.
const Asset* find_asset(std::string_view path) noexcept;

// Every embedded asset, sorted by path. The storage is static and lives for the program.
std::span<const Asset> all_assets() noexcept;

}  // namespace mmx::web
