#pragma once
// Reads a request's query parameters and collects every problem before answering: a list
// endpoint with three bad parameters answers one 422 naming all three (in the kit's format:
// {"parameter", "in": "query", "detail"}), not three round trips.
//
//   QueryReader q(req);
//   auto limit = q.integer("limit", 1, 100).value_or(20);
//   auto text = q.text("q", 200);
//   q.finish();  // throws the 422 if anything was wrong
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmx/http/request.hpp"

namespace mmx::http {

class QueryReader {
 public:
  explicit QueryReader(const Request& req) : req_(req) {}

  // An integer in [min, max].
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max);
  // true/false/1/0.
  std::optional<bool> boolean(std::string_view name);
  // Printable UTF-8 (no control characters) of at most max_bytes bytes.
  std::optional<std::string> text(std::string_view name, std::size_t max_bytes);
  // One of `allowed`.
  std::optional<std::string> choice(std::string_view name,
                                    const std::vector<std::string_view>& allowed);

  // Records a problem found by the caller (a range whose ends are crossed, say).
  void fail(std::string_view name, std::string detail);
  bool ok() const { return errors_.empty(); }
  // Throws the 422 listing every problem; does nothing when there was none.
  void finish() const;

 private:
  const Request& req_;
  std::vector<std::pair<std::string, std::string>> errors_;
};

// Valid UTF-8 without ASCII control characters (C0 and DEL): what a text filter may hold.
bool is_printable_utf8(std::string_view s);

}  // namespace mmx::http
