#pragma once
// Small helpers the handlers share: who is calling (IP), the rate limit check, reading the
// form body, ids, clocks and OAuth's space-separated lists.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "form.hpp"
#include "mmx/http/request.hpp"
#include "rate_limiter.hpp"

namespace mmx::auth_service {

// The peer address without its port, or with trust_forwarded_for the last X-Forwarded-For
// entry (the one our own proxy appended; the ones before it are the client's to forge).
std::string client_ip(const http::Request& req, bool trust_forwarded_for);

// Throws errors::too_many_requests (429 + Retry-After) when `limiter` refuses `ip`.
void check_rate(RateLimiter& limiter, std::string_view ip);

// The form body: OAuthError invalid_request when the content type is not
// application/x-www-form-urlencoded or the body does not parse (naming the field).
Form read_form(const http::Request& req);

std::string new_uuid();  // random (v4), lower-case hex with dashes
std::int64_t unix_now();
std::int64_t unix_now_ms();

std::vector<std::string> split_spaces(std::string_view s);
std::string join_spaces(const std::vector<std::string>& v);

}  // namespace mmx::auth_service
