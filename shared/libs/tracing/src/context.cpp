#include "mmx/tracing/context.hpp"

#include <chrono>

#include "mmx/tracing/ids.hpp"
#include "mmx/tracing/span.hpp"

namespace mmx::tracing {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // the spec requires lowercase
}

template <std::size_t N>
bool parse_hex(std::string_view s, std::array<std::uint8_t, N>& out) {
  if (s.size() != N * 2) return false;
  bool nonzero = false;
  for (std::size_t i = 0; i < N; ++i) {
    int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    nonzero = nonzero || out[i] != 0;
  }
  return nonzero;
}

void fill_random(std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t r = random_u64();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) p[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
}

}  // namespace

std::string to_hex(const std::uint8_t* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

std::optional<TraceContext> TraceContext::parse(std::string_view tp) {
  // version "-" trace-id "-" parent-id "-" flags; 55 chars for version 00.
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  std::string_view v = tp.substr(0, 2);
  if (v == "00") {
    if (tp.size() != 55) return std::nullopt;
  } else {
    if (hex_value(v[0]) < 0 || hex_value(v[1]) < 0 || v == "ff") return std::nullopt;
    if (tp.size() > 55 && tp[55] != '-') return std::nullopt;
  }
  TraceContext ctx;
  if (!parse_hex(tp.substr(3, 32), ctx.trace_id)) return std::nullopt;
  if (!parse_hex(tp.substr(36, 16), ctx.span_id)) return std::nullopt;
  std::string_view f = tp.substr(53, 2);
  int hi = hex_value(f[0]), lo = hex_value(f[1]);
  if (hi < 0 || lo < 0) return std::nullopt;
  ctx.flags = static_cast<std::uint8_t>(hi << 4 | lo);
  return ctx;
}

TraceContext TraceContext::new_root() {
  TraceContext ctx;
  fill_random(ctx.trace_id.data(), ctx.trace_id.size());
  fill_random(ctx.span_id.data(), ctx.span_id.size());
  ctx.flags = 1;
  return ctx;
}

TraceContext TraceContext::child() const {
  TraceContext ctx = *this;
  fill_random(ctx.span_id.data(), ctx.span_id.size());
  return ctx;
}

std::string TraceContext::traceparent() const {
  std::string out = "00-";
  out += trace_id_hex();
  out += '-';
  out += span_id_hex();
  out += '-';
  out += to_hex(&flags, 1);
  return out;
}

std::string TraceContext::trace_id_hex() const { return to_hex(trace_id.data(), 16); }
std::string TraceContext::span_id_hex() const { return to_hex(span_id.data(), 8); }

std::uint64_t unix_nanos_now() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace mmx::tracing
