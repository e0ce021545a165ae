#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mmx/tracing/context.hpp"

namespace mmx::tracing {

enum class SpanKind { internal = 1, server = 2, client = 3, producer = 4, consumer = 5 };
enum class SpanStatus { unset = 0, ok = 1, error = 2 };

struct Span {
  TraceContext context;
  std::array<std::uint8_t, 8> parent_span_id{};
  bool has_parent = false;
  std::string name;
  SpanKind kind = SpanKind::internal;
  std::uint64_t start_unix_nanos = 0;
  std::uint64_t end_unix_nanos = 0;
  SpanStatus status = SpanStatus::unset;
  std::vector<std::pair<std::string, std::string>> string_attributes;
  std::vector<std::pair<std::string, std::int64_t>> int_attributes;
};

std::uint64_t unix_nanos_now() noexcept;

}  // namespace mmx::tracing
