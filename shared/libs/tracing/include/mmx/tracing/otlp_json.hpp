#pragma once
// OTLP/HTTP JSON encoding of ExportTraceServiceRequest (opentelemetry-proto, JSON mapping:
// trace and span ids as hex strings, 64-bit integers as decimal strings).
#include <string>
#include <string_view>
#include <vector>

#include "mmx/tracing/span.hpp"

namespace mmx::tracing {

std::string to_otlp_json(const std::vector<Span>& spans, std::string_view service_name,
                         std::string_view service_version);

}  // namespace mmx::tracing
