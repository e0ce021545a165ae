#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "mmx/web/assets.hpp"

namespace {

using mmx::web::all_assets;
using mmx::web::Asset;
using mmx::web::find_asset;

// Inflates a gzip stream (windowBits 16 + MAX_WBITS selects the gzip wrapper).
std::string gunzip(std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return "<inflateInit2 failed>";
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  std::array<char, 64 * 1024> buf;
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - zs.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  return whole ? out : "<corrupt gzip stream>";
}

std::string_view extension(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : path.substr(dot);
}

TEST(WebAssets, ExpectedAssetsAreEmbedded) {
  for (std::string_view path : {
           "/static/docs.html",
           "/static/docs-init.js",
           "/static/redoc.html",
           "/static/micromax.css",
           "/static/swagger-ui/swagger-ui.css",
           "/static/swagger-ui/swagger-ui-bundle.js",
           "/static/swagger-ui/swagger-ui-standalone-preset.js",
           "/static/swagger-ui/oauth2-redirect.html",
           "/static/swagger-ui/oauth2-redirect.js",
           "/static/swagger-ui/favicon-32x32.png",
           "/static/redoc/redoc.standalone.js",
       }) {
    const Asset* a = find_asset(path);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_EQ(a->path, path);
  }
}

TEST(WebAssets, EveryAssetIsFoundByItsPathAndNonEmpty) {
  ASSERT_FALSE(all_assets().empty());
  for (const Asset& a : all_assets()) {
    EXPECT_EQ(find_asset(a.path), &a) << a.path;
    EXPECT_TRUE(a.path.starts_with("/static/")) << a.path;
    EXPECT_FALSE(a.body.empty()) << a.path;
  }
}

TEST(WebAssets, TableIsSortedAndUnique) {
  const auto assets = all_assets();
  EXPECT_TRUE(std::ranges::adjacent_find(assets, std::ranges::greater_equal{}, &Asset::path) ==
              assets.end());
}

TEST(WebAssets, UnknownPathsGiveNullptr) {
  for (std::string_view path : {"", "/", "/static", "/static/", "/static/docs", "/static/docs.htm",
                                "/static/docs.html?x=1", "static/docs.html", "/STATIC/docs.html",
                                "/static/swagger-ui/", "/static/../static/docs.html", "/zzz"}) {
    EXPECT_EQ(find_asset(path), nullptr) << path;
  }
}

TEST(WebAssets, GzipBodyInflatesToBody) {
  for (const Asset& a : all_assets()) {
    if (a.gzip_body.empty()) {
      // Only where compression cannot win: already-compressed formats and tiny files.
      EXPECT_TRUE(extension(a.path) == ".png" || a.body.size() < 256) << a.path;
      continue;
    }
    EXPECT_LT(a.gzip_body.size(), a.body.size()) << a.path;
    EXPECT_TRUE(gunzip(a.gzip_body) == a.body) << a.path;
  }
  // The big bundles are what gzip is for.
  const Asset* bundle = find_asset("/static/swagger-ui/swagger-ui-bundle.js");
  ASSERT_NE(bundle, nullptr);
  EXPECT_LT(bundle->gzip_body.size() * 2, bundle->body.size());
}

TEST(WebAssets, EtagsAreQuotedHashesUniqueAndStable) {
  std::set<std::string_view> seen;
  for (const Asset& a : all_assets()) {
    ASSERT_EQ(a.etag.size(), 18u) << a.path;
    EXPECT_EQ(a.etag.front(), '"');
    EXPECT_EQ(a.etag.back(), '"');
    EXPECT_TRUE(std::ranges::all_of(a.etag.substr(1, 16), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    })) << a.etag;
    EXPECT_TRUE(seen.insert(a.etag).second) << "duplicate etag " << a.etag << " at " << a.path;
    // Stable: a second lookup (and the span) hand out the same bytes.
    EXPECT_EQ(find_asset(a.path)->etag, a.etag);
  }
}

TEST(WebAssets, ContentTypesMatchExtensions) {
  constexpr std::pair<std::string_view, std::string_view> kWant[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const Asset& a : all_assets()) {
    const auto it = std::ranges::find(kWant, extension(a.path),
                                      &std::pair<std::string_view, std::string_view>::first);
    if (it == std::end(kWant)) {
      ADD_FAILURE() << "no expectation for " << a.path << " (" << a.content_type << ")";
      continue;
    }
    EXPECT_EQ(a.content_type, it->second) << a.path;
  }
  const Asset* png = find_asset("/static/swagger-ui/favicon-32x32.png");
  ASSERT_NE(png, nullptr);
  EXPECT_TRUE(png->body.starts_with("\x89PNG\r\n\x1a\n"));
}

// No page may pull anything from another origin (CDN, fonts): the deployment must work
// offline and under `default-src 'self'`.
TEST(WebAssets, HtmlAndCssReferenceNoExternalUrls) {
  for (const Asset& a : all_assets()) {
    if (a.content_type.starts_with("text/html")) {
      EXPECT_EQ(a.body.find("http://"), std::string_view::npos) << a.path;
      EXPECT_EQ(a.body.find("https://"), std::string_view::npos) << a.path;
      EXPECT_EQ(a.body.find("//cdn"), std::string_view::npos) << a.path;
      // Inline scripts would need 'unsafe-inline' in script-src.
      EXPECT_EQ(a.body.find("<script>"), std::string_view::npos) << a.path;
    }
    if (a.content_type.starts_with("text/css")) {
      // The stylesheets contain xmlns="http://www.w3.org/2000/svg" inside data: URIs, which is
      // not a fetch; what must not appear is a url()/@import that loads from elsewhere.
      for (std::string_view bad : {"url(http", "url(\"http", "url('http", "url(//", "@import"}) {
        EXPECT_EQ(a.body.find(bad), std::string_view::npos) << a.path << ": " << bad;
      }
    }
  }
}

TEST(WebAssets, OwnPagesReferenceEmbeddedAssets) {
  const Asset* docs = find_asset("/static/docs.html");
  ASSERT_NE(docs, nullptr);
  for (std::string_view ref :
       {"/static/swagger-ui/swagger-ui.css", "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/swagger-ui-standalone-preset.js", "/static/docs-init.js"}) {
    EXPECT_NE(docs->body.find(ref), std::string_view::npos) << ref;
    EXPECT_NE(find_asset(ref), nullptr) << ref;
  }
  const Asset* init = find_asset("/static/docs-init.js");
  ASSERT_NE(init, nullptr);
  EXPECT_NE(init->body.find("\"/openapi.json\""), std::string_view::npos);
  EXPECT_NE(init->body.find("persistAuthorization: true"), std::string_view::npos);
  EXPECT_NE(init->body.find("/static/swagger-ui/oauth2-redirect.html"), std::string_view::npos);

  const Asset* redoc = find_asset("/static/redoc.html");
  ASSERT_NE(redoc, nullptr);
  EXPECT_NE(redoc->body.find("src=\"/static/redoc/redoc.standalone.js\""), std::string_view::npos);
  EXPECT_NE(redoc->body.find("spec-url=\"/openapi.json\""), std::string_view::npos);
}

}  // namespace
