#include "request_util.hpp"

#include <sstream>

#include "mmx/auth/encoding.hpp"
#include "mmx/auth/secrets.hpp"
#include "mmx/errors/http_error.hpp"
#include "oauth_error.hpp"

namespace mmx::auth_service {

std::string client_ip(const http::Request& req, bool trust_forwarded_for) {
  if (trust_forwarded_for) {
    if (auto xff = req.header("X-Forwarded-For")) {
      std::string_view v = *xff;
      auto comma = v.rfind(',');
      v = comma == std::string_view::npos ? v : v.substr(comma + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      if (!v.empty() && v.size() <= 64) return std::string(v);
    }
  }
  std::string_view remote = req.remote_address();
  // "1.2.3.4:5678" or "::1:5678" (asio prints IPv6 without brackets): drop the port.
  auto colon = remote.rfind(':');
  return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

void check_rate(RateLimiter& limiter, std::string_view ip) {
  auto d = limiter.take(ip);
  if (!d.allowed) {
    throw errors::too_many_requests(static_cast<int>(d.retry_after.count()),
                                    "Too many requests from this address; retry after " +
                                        std::to_string(d.retry_after.count()) + " s.");
  }
}

Form read_form(const http::Request& req) {
  auto type = req.header("Content-Type");
  std::string_view t = type ? *type : std::string_view{};
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  std::string lower(t);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower != "application/x-www-form-urlencoded") {
    throw invalid_request("The body must be application/x-www-form-urlencoded.");
  }
  try {
    return Form::parse(req.body());
  } catch (const FormError& e) {
    throw invalid_request(e.field().empty() ? std::string("The form ") + e.what() + "."
                                            : "Parameter " + e.field() + " " + e.what() + ".");
  }
}

std::string new_uuid() {
  std::string b = *auth::base64url_decode(auth::random_token(16));
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    auto u = static_cast<unsigned char>(b[i]);
    out += kHex[u >> 4];
    out += kHex[u & 15];
  }
  return out;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) {
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
  return out;
}

std::string join_spaces(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace mmx::auth_service
