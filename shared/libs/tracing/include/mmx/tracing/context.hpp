#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mmx::tracing {

struct TraceContext {
  std::array<std::uint8_t, 16> trace_id{};
  std::array<std::uint8_t, 8> span_id{};
  std::uint8_t flags = 1;  // sampled

  // Accepts version 00 (and future versions by their first four fields, as the spec asks);
  // rejects all-zero ids, wrong lengths, uppercase hex and version ff.
  static std::optional<TraceContext> parse(std::string_view traceparent);
  static TraceContext new_root();
  // Same trace, new span id: the context for work done on behalf of this one.
  TraceContext child() const;

  std::string traceparent() const;  // "00-<trace>-<span>-<flags>"
  std::string trace_id_hex() const;
  std::string span_id_hex() const;
  bool sampled() const { return flags & 1; }
};

std::string to_hex(const std::uint8_t* data, std::size_t n);

}  // namespace mmx::tracing
