#pragma once
// CloudEvents 1.0 envelopes, structured JSON mode: what every backend carries and every
// handler receives. `traceparent` is the Distributed Tracing extension, so a trace crosses
// the broker like it crosses HTTP.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mmx::broker {

struct Event {
  std::string id;      // unique per source; consumers deduplicate on (source, id)
  std::string source;  // URI-reference of the producer, e.g. "/micromax/backend"
  std::string type;    // e.g. "order.placed"
  std::string subject;  // optional: the entity, e.g. the order id
  std::string time;     // RFC 3339, UTC
  std::string datacontenttype = "application/json";
  boost::json::value data;
  std::string traceparent;  // optional, W3C
  // Other extension attributes (lowercase a-z0-9 names, string values), e.g. the
  // dead-letter details: deadlettererror, deadlettergroup, deadletterattempts.
  std::map<std::string, std::string> extensions;
};

class EventError : public std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// A new event: random UUIDv4 id, time now, traceparent from `traceparent` (may be empty).
Event make_event(std::string type, std::string source, boost::json::value data,
                 std::string subject = {}, std::string traceparent = {});

boost::json::object to_json(const Event& e);
std::string serialize(const Event& e);
// Throws EventError naming the first bad attribute (missing id/source/type, wrong
// specversion, bad extension name, data not JSON for application/json...).
Event parse_event(std::string_view json);
Event event_from_json(const boost::json::value& v);

}  // namespace mmx::broker
