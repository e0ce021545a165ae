#include "etag.hpp"

#include "mmx/errors/http_error.hpp"

namespace mmx::backend {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(tag, weak) for each entity tag of a comma-separated list; stops when fn is true.
template <class Fn>
bool any_tag(std::string_view list, Fn fn) {
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    bool weak = item.substr(0, 2) == "W/";
    if (weak) item.remove_prefix(2);
    if (fn(item, weak)) return true;
  }
  return false;
}

}  // namespace

std::string etag(std::int64_t version) { return "\"" + std::to_string(version) + "\""; }

bool none_match_hits(std::string_view if_none_match, std::string_view tag) {
  if (trim(if_none_match) == "*") return true;
  return any_tag(if_none_match, [&](std::string_view t, bool) { return t == tag; });
}

void require_if_match(const std::optional<std::string>& header, std::int64_t current_version,
                      std::string_view what) {
  if (!header) {
    throw errors::HttpError(428,
                            "Send If-Match with the ETag of the " + std::string(what) +
                                " you read, so a change made since is not overwritten.",
                            "Precondition Required");
  }
  const std::string current = etag(current_version);
  if (trim(*header) == "*") return;
  const bool hit =
      any_tag(*header, [&](std::string_view t, bool weak) { return !weak && t == current; });
  if (!hit) {
    throw std::move(errors::precondition_failed(
                        "The " + std::string(what) + " changed since you read it: its ETag is " +
                        current + " now. Read it again and reapply your change.")
                        .with_header("ETag", current));
  }
}

}  // namespace mmx::backend
