#include "mmx/db/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <filesystem>

#include "mmx/db/errors.hpp"

namespace mmx::db {
namespace {

[[noreturn]] void bad(const std::string& redacted, const std::string& why) {
  throw DbError(ErrorKind::configuration, "invalid database URL '" + redacted + "': " + why);
}

bool valid_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string redact_url(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  auto authority = scheme_end + 3;
  auto at = url.find('@', authority);
  auto slash = url.find('/', authority);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at))
    return std::string(url);
  auto colon = url.find(':', authority);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

DatabaseUrl parse_database_url(std::string_view url, std::string_view data_dir) {
  DatabaseUrl out;
  out.redacted = redact_url(url);
  if (url.starts_with("sqlite:")) {
    out.dialect = Dialect::sqlite;
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);  // sqlite:///abs and sqlite://rel
    if (path.empty()) bad(out.redacted, "no file path (use sqlite:PATH)");
    if (path == ":memory:" || path.starts_with("file:"))
      bad(out.redacted, "in-memory databases cannot be shared with the reader pool; give a file path");
    std::filesystem::path p(path);
    if (p.is_relative() && !data_dir.empty()) p = std::filesystem::path(data_dir) / p;
    out.sqlite_path = p.lexically_normal().string();
    return out;
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    out.dialect = Dialect::postgresql;
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) bad(out.redacted, "not a valid URI (" + parsed.error().message() + ")");
    boost::urls::url u(*parsed);
    if (u.encoded_host().empty() && !u.params().contains("host"))
      bad(out.redacted, "no host (postgresql://user:password@host:port/dbname)");
    if (u.has_port() && (u.port_number() == 0 && u.port() != "0"))
      bad(out.redacted, "port must be a number");
    // `schema` is ours, not libpq's (which rejects unknown parameters): a service's tables
    // live in that schema when several services share one database.
    auto it = u.params().find("schema");
    if (it != u.params().end()) {
      out.schema = std::string((*it).value);
      if (!valid_identifier(out.schema))
        bad(out.redacted, "schema must be a lowercase identifier ([a-z_][a-z0-9_]*)");
      u.params().erase(it);
    }
    out.conninfo = std::string(u.buffer());
    return out;
  }
  auto colon = url.find(':');
  std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  bad(out.redacted, (scheme.empty() ? std::string("no scheme") : "unsupported scheme '" + scheme + "'") +
                        ": use sqlite:PATH or postgresql://user:password@host:port/dbname");
}

}  // namespace mmx::db
