#include "mmx/broker/event.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "mmx/dto/time.hpp"
#include "mmx/tracing/ids.hpp"

namespace mmx::broker {
namespace {

// The attributes CloudEvents defines (plus traceparent, which we model as a field); any
// other top-level key is an extension attribute.
bool is_core_attribute(std::string_view k) {
  return k == "specversion" || k == "id" || k == "source" || k == "type" || k == "subject" ||
         k == "time" || k == "datacontenttype" || k == "data" || k == "data_base64" ||
         k == "dataschema" || k == "traceparent";
}

// CloudEvents: extension names are lowercase a-z and 0-9, at most 20 characters.
bool valid_extension_name(std::string_view k) {
  if (k.empty() || k.size() > 20) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::string uuid_v4() {
  std::uint64_t hi = tracing::random_u64(), lo = tracing::random_u64();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 15; i >= 0; --i) {
    std::uint64_t word = i >= 8 ? hi : lo;
    int shift = (i % 8) * 8;
    unsigned byte = static_cast<unsigned>((word >> shift) & 0xff);
    s += hex[byte >> 4];
    s += hex[byte & 15];
    if (i == 12 || i == 10 || i == 8 || i == 6) s += '-';
  }
  return s;
}

std::string required_string(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty())
    throw EventError("CloudEvent attribute '" + std::string(key) + "' must be a non-empty string");
  return std::string(v->as_string());
}

std::string optional_string(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) throw EventError("CloudEvent attribute '" + std::string(key) + "' must be a string");
  return std::string(v->as_string());
}

}  // namespace

Event make_event(std::string type, std::string source, boost::json::value data,
                 std::string subject, std::string traceparent) {
  Event e;
  e.id = uuid_v4();
  e.source = std::move(source);
  e.type = std::move(type);
  e.subject = std::move(subject);
  e.time = dto::format_date_time(std::chrono::system_clock::now());
  e.data = std::move(data);
  e.traceparent = std::move(traceparent);
  return e;
}

boost::json::object to_json(const Event& e) {
  boost::json::object o;
  o["specversion"] = "1.0";
  o["id"] = e.id;
  o["source"] = e.source;
  o["type"] = e.type;
  if (!e.subject.empty()) o["subject"] = e.subject;
  if (!e.time.empty()) o["time"] = e.time;
  o["datacontenttype"] = e.datacontenttype;
  if (!e.traceparent.empty()) o["traceparent"] = e.traceparent;
  for (const auto& [k, v] : e.extensions) o[k] = v;
  o["data"] = e.data;
  return o;
}

std::string serialize(const Event& e) { return boost::json::serialize(to_json(e)); }

Event event_from_json(const boost::json::value& v) {
  if (!v.is_object()) throw EventError("a CloudEvent must be a JSON object");
  const auto& o = v.as_object();
  auto* spec = o.if_contains("specversion");
  if (!spec || !spec->is_string() || spec->as_string() != "1.0")
    throw EventError("CloudEvent 'specversion' must be \"1.0\"");
  Event e;
  e.id = required_string(o, "id");
  e.source = required_string(o, "source");
  e.type = required_string(o, "type");
  e.subject = optional_string(o, "subject");
  e.time = optional_string(o, "time");
  if (!e.time.empty() && !dto::parse_date_time(e.time))
    throw EventError("CloudEvent 'time' must be an RFC 3339 date-time");
  e.datacontenttype = optional_string(o, "datacontenttype");
  if (e.datacontenttype.empty()) e.datacontenttype = "application/json";
  e.traceparent = optional_string(o, "traceparent");
  if (auto* d = o.if_contains("data")) e.data = *d;
  if (o.contains("data_base64")) throw EventError("binary CloudEvent data (data_base64) is not supported");
  for (const auto& kv : o) {
    if (is_core_attribute(kv.key())) continue;
    if (!valid_extension_name(kv.key()))
      throw EventError("CloudEvent extension name '" + std::string(kv.key()) +
                       "' must be 1-20 lowercase letters or digits");
    if (kv.value().is_string()) e.extensions[std::string(kv.key())] = std::string(kv.value().as_string());
    else e.extensions[std::string(kv.key())] = boost::json::serialize(kv.value());
  }
  return e;
}

Event parse_event(std::string_view json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec) throw EventError("not a JSON CloudEvent: " + ec.message());
  return event_from_json(v);
}

}  // namespace mmx::broker
