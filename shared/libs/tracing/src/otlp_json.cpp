#include "mmx/tracing/otlp_json.hpp"

#include <string>

namespace mmx::tracing {
namespace {

void esc(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void string_attr(std::string& out, std::string_view k, std::string_view v) {
  out += "{\"key\":";
  esc(out, k);
  out += ",\"value\":{\"stringValue\":";
  esc(out, v);
  out += "}}";
}

}  // namespace

std::string to_otlp_json(const std::vector<Span>& spans, std::string_view service_name,
                         std::string_view service_version) {
  std::string out;
  out.reserve(256 + spans.size() * 384);
  out += "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
  string_attr(out, "service.name", service_name);
  out += ',';
  string_attr(out, "service.version", service_version);
  out += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"micromax\"},\"spans\":[";
  bool first = true;
  for (const Span& s : spans) {
    if (!first) out += ',';
    first = false;
    out += "{\"traceId\":\"" + s.context.trace_id_hex() + "\",\"spanId\":\"" +
           s.context.span_id_hex() + '"';
    if (s.has_parent) out += ",\"parentSpanId\":\"" + to_hex(s.parent_span_id.data(), 8) + '"';
    out += ",\"name\":";
    esc(out, s.name);
    out += ",\"kind\":" + std::to_string(static_cast<int>(s.kind));
    out += ",\"startTimeUnixNano\":\"" + std::to_string(s.start_unix_nanos) + '"';
    out += ",\"endTimeUnixNano\":\"" + std::to_string(s.end_unix_nanos) + '"';
    out += ",\"attributes\":[";
    bool firsta = true;
    for (const auto& [k, v] : s.string_attributes) {
      if (!firsta) out += ',';
      firsta = false;
      string_attr(out, k, v);
    }
    for (const auto& [k, v] : s.int_attributes) {
      if (!firsta) out += ',';
      firsta = false;
      out += "{\"key\":";
      esc(out, k);
      out += ",\"value\":{\"intValue\":\"" + std::to_string(v) + "\"}}";
    }
    out += "],\"status\":{\"code\":" + std::to_string(static_cast<int>(s.status)) + "}}";
  }
  out += "]}]}]}";
  return out;
}

}  // namespace mmx::tracing
