#pragma once
// Entity tags of products and orders: the quoted row version ("7"). RFC 9110 §13.1: a GET
// with a matching If-None-Match is a 304 (weak comparison); a write needs an If-Match with
// the current tag (strong comparison), else 412, and 428 when it sends none at all.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mmx::backend {

std::string etag(std::int64_t version);

// True when If-None-Match lists `tag` (weakly) or is "*".
bool none_match_hits(std::string_view if_none_match, std::string_view tag);

// The If-Match precondition of a write against the current version: 428 when the header
// is missing, 412 when it names another version. `what` names the resource in the detail.
void require_if_match(const std::optional<std::string>& if_match, std::int64_t current_version,
                      std::string_view what);

}  // namespace mmx::backend
