#include "mmx/http/query_reader.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <charconv>

#include "mmx/dto/detail/check.hpp"
#include "mmx/errors/http_error.hpp"

namespace mmx::http {

std::optional<std::int64_t> QueryReader::integer(std::string_view name, std::int64_t min,
                                                 std::int64_t max) {
  auto raw = req_.query(name);
  if (!raw) return std::nullopt;
  std::int64_t v = 0;
  auto r = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (raw->empty() || r.ec != std::errc() || r.ptr != raw->data() + raw->size()) {
    fail(name, "must be an integer");
    return std::nullopt;
  }
  if (v < min || v > max) {
    fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> QueryReader::boolean(std::string_view name) {
  auto raw = req_.query(name);
  if (!raw) return std::nullopt;
  if (*raw == "true" || *raw == "1") return true;
  if (*raw == "false" || *raw == "0") return false;
  fail(name, "must be true or false");
  return std::nullopt;
}

std::optional<std::string> QueryReader::text(std::string_view name, std::size_t max_bytes) {
  auto raw = req_.query(name);
  if (!raw) return std::nullopt;
  if (raw->size() > max_bytes || !is_printable_utf8(*raw)) {
    fail(name, "must be printable UTF-8 of at most " + std::to_string(max_bytes) + " bytes");
    return std::nullopt;
  }
  return raw;
}

std::optional<std::string> QueryReader::choice(std::string_view name,
                                               const std::vector<std::string_view>& allowed) {
  auto raw = req_.query(name);
  if (!raw) return std::nullopt;
  for (auto a : allowed) {
    if (*raw == a) return raw;
  }
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  fail(name, "must be one of: " + list);
  return std::nullopt;
}

void QueryReader::fail(std::string_view name, std::string detail) {
  errors_.emplace_back(std::string(name), std::move(detail));
}

void QueryReader::finish() const {
  if (errors_.empty()) return;
  boost::json::array errs;
  std::string summary;
  for (const auto& [name, detail] : errors_) {
    errs.push_back({{"parameter", name}, {"in", "query"}, {"detail", detail}});
    if (!summary.empty()) summary += "; ";
    summary += "query parameter '" + name + "' " + detail;
  }
  throw std::move(errors::HttpError(422, summary + ".")
                      .with_type("urn:micromax:problem:validation")
                      .with_extension("errors", std::move(errs)));
}

bool is_printable_utf8(std::string_view s) {
  if (!dto::detail::utf8_length(s)) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace mmx::http
