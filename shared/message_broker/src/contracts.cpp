#include "mmx/broker/contracts.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mmx/dto/schema.hpp"
#include "mmx/dto/time.hpp"

namespace mmx::broker {
namespace {

namespace json = boost::json;

constexpr std::string_view kDataContentType = "application/json";
// Structured-mode CloudEvents in JSON: the whole envelope is the message body.
constexpr std::string_view kMessageContentType = "application/cloudevents+json";
constexpr std::string_view kEnvelopeName = "CloudEvent";

std::string describe(const std::string& type, const std::vector<dto::FieldError>& errors) {
  std::string out = "event '" + type + "' does not fit its contract: ";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) out += "; ";
    out += (errors[i].pointer.empty() ? std::string("(root)") : errors[i].pointer) + ": " +
           errors[i].message;
  }
  return out;
}

}  // namespace

ContractViolation::ContractViolation(const std::string& type, std::vector<dto::FieldError> errors)
    : EventError(describe(type, errors)),
      errors_(std::make_shared<const std::vector<dto::FieldError>>(std::move(errors))) {}

struct ContractRegistry::Impl {
  std::vector<models::EventType> catalog;
  std::map<std::string, std::size_t, std::less<>> by_type;

  const models::EventType* find(std::string_view type) const {
    auto it = by_type.find(type);
    return it == by_type.end() ? nullptr : &catalog[it->second];
  }

  void check(const Event& event) const {
    const models::EventType* declared = find(event.type);
    if (!declared) {
      throw EventError("event type '" + event.type +
                       "' is not declared in shared/contracts/asyncapi.yaml (declare it in "
                       "shared/models, then run scripts/update-contracts.sh)");
    }
    // The envelope attributes a producer fills in; parse_event checks the same on receipt,
    // but a publisher should hear about it before the event leaves.
    std::vector<dto::FieldError> errors;
    if (event.id.empty()) errors.push_back({"/id", "is required"});
    if (event.source.empty()) errors.push_back({"/source", "is required"});
    if (!event.time.empty() && !dto::parse_date_time(event.time)) {
      errors.push_back({"/time", "must be an RFC 3339 date-time"});
    }
    if (event.datacontenttype != kDataContentType) {
      errors.push_back({"/datacontenttype", "must be " + std::string(kDataContentType)});
    }
    for (auto& f : declared->check(event.data)) {
      errors.push_back({"/data" + f.pointer, std::move(f.message)});
    }
    if (!errors.empty()) throw ContractViolation(event.type, std::move(errors));
  }
};

ContractRegistry::ContractRegistry() : ContractRegistry(models::event_catalog()) {}

ContractRegistry::ContractRegistry(std::vector<models::EventType> catalog) {
  auto impl = std::make_shared<Impl>();
  impl->catalog = std::move(catalog);
  for (std::size_t i = 0; i < impl->catalog.size(); ++i) {
    const models::EventType& t = impl->catalog[i];
    if (t.type.empty() || t.topic.empty() || !t.check || !t.document_schema) {
      throw std::invalid_argument("event catalogue entry " + std::to_string(i) +
                                  " lacks a type, topic, check or schema");
    }
    if (!impl->by_type.emplace(t.type, i).second) {
      throw std::invalid_argument("event type '" + t.type + "' is declared twice");
    }
  }
  impl_ = std::move(impl);
}

const std::vector<models::EventType>& ContractRegistry::event_types() const noexcept {
  return impl_->catalog;
}

const models::EventType* ContractRegistry::find(std::string_view type) const {
  return impl_->find(type);
}

std::vector<std::string> ContractRegistry::topics() const {
  std::vector<std::string> out;
  for (const auto& t : impl_->catalog) {
    if (std::find(out.begin(), out.end(), t.topic) == out.end()) out.push_back(t.topic);
  }
  return out;
}

void ContractRegistry::check(const Event& event) const { impl_->check(event); }

EventValidator ContractRegistry::validator() const {
  return [impl = impl_](const Event& event) { impl->check(event); };
}

bool validation_enabled_by_default() noexcept {
#ifndef NDEBUG
  return true;
#else
  return false;
#endif
}

// ---------------------------------------------------------------------------------------
// AsyncAPI
// ---------------------------------------------------------------------------------------
namespace {

// AsyncAPI ids ("catalogProducts", "orderPlaced") from dotted names; the dotted names
// themselves stay as channel addresses and message names.
std::string camel_case(std::string_view dotted, bool upper_first) {
  std::string out;
  bool upper = upper_first;
  for (char c : dotted) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// "order.placed" -> "Order placed".
std::string title_of(std::string_view type) {
  std::string out(type);
  for (char& c : out) {
    if (c == '.' || c == '_') c = ' ';
  }
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

json::object envelope_schema() {
  json::object p;
  p["specversion"] = {{"type", "string"}, {"const", "1.0"}};
  p["id"] = {{"type", "string"},
             {"minLength", 1},
             {"description", "Unique per source; consumers deduplicate on (source, id)"}};
  p["source"] = {{"type", "string"},
                 {"minLength", 1},
                 {"format", "uri-reference"},
                 {"description", "The producing service, e.g. /micromax/backend"}};
  p["type"] = {{"type", "string"}, {"minLength", 1}, {"description", "The event type"}};
  p["subject"] = {{"type", "string"},
                  {"description", "The aggregate id, the same as the message key"}};
  p["time"] = {
      {"type", "string"}, {"format", "date-time"}, {"description", "When it happened, UTC"}};
  p["datacontenttype"] = {{"type", "string"}, {"const", kDataContentType}};
  p["traceparent"] = {{"type", "string"},
                      {"description", "W3C trace context of the producing request"}};
  p["data"] = {{"description", "The event's data; its schema depends on the type"}};
  return {{"type", "object"},
          {"title", kEnvelopeName},
          {"description",
           "CloudEvents 1.0 envelope in structured JSON mode. Other top-level members are "
           "extension attributes (lowercase a-z0-9 names), e.g. the dead-letter details."},
          {"properties", std::move(p)},
          {"required", {"specversion", "id", "source", "type", "data"}}};
}

json::object message_payload(const models::EventType& t, dto::SchemaRegistry& registry) {
  json::object specific{{"type", "object"},
                        {"properties", json::object{{"type", json::object{{"const", t.type}}},
                                                    {"data", t.document_schema(registry)}}},
                        {"required", {"data"}}};
  json::object envelope_ref{{"$ref", "#/components/schemas/" + std::string(kEnvelopeName)}};
  return {{"allOf", json::array{std::move(envelope_ref), std::move(specific)}}};
}

// A whole CloudEvent around the catalogue's sample data, fixed so the document is stable.
json::object example_event(const models::EventType& t) {
  json::string key;
  if (const json::object* data = t.example.if_object()) {
    const json::value* id = data->if_contains("id");
    if (!id) id = data->if_contains("user_id");
    if (id && id->is_string()) key = id->get_string();
    if (id && id->is_int64()) key = std::to_string(id->get_int64());
  }
  json::object e{{"specversion", "1.0"},
                 {"id", "00000000-0000-4000-8000-000000000000"},
                 {"source", t.source},
                 {"type", t.type}};
  if (!key.empty()) e["subject"] = key;
  e["time"] = "2026-01-15T12:00:00Z";
  e["datacontenttype"] = kDataContentType;
  e["data"] = t.example;
  return e;
}

json::object message_of(const models::EventType& t, dto::SchemaRegistry& registry) {
  json::object m{{"name", t.type},
                 {"title", title_of(t.type)},
                 {"summary", t.summary},
                 {"contentType", kMessageContentType},
                 {"payload", message_payload(t, registry)}};
  m["bindings"] = {
      {"kafka",
       {{"key",
         {{"type", "string"},
          {"description", "The aggregate id (CloudEvents subject): per-aggregate order"}}},
        {"bindingVersion", "0.5.0"}}}};
  m["examples"] =
      json::array{json::object{{"name", camel_case(t.type, false)}, {"payload", example_event(t)}}};
  return m;
}

}  // namespace

json::object asyncapi_document(const ContractRegistry& registry, const AsyncApiInfo& info) {
  dto::SchemaRegistry schemas;
  json::object messages;
  json::object channels;
  json::object operations;
  for (const std::string& topic : registry.topics()) {
    const std::string channel_id = camel_case(topic, false);
    json::object channel_messages;
    json::array operation_messages;
    std::vector<std::string> sources;
    for (const models::EventType& t : registry.event_types()) {
      if (t.topic != topic) continue;
      const std::string id = camel_case(t.type, false);
      messages[id] = message_of(t, schemas);
      channel_messages[id] = {{"$ref", "#/components/messages/" + id}};
      operation_messages.push_back(
          json::object{{"$ref", "#/channels/" + channel_id + "/messages/" + id}});
      if (std::find(sources.begin(), sources.end(), t.source) == sources.end()) {
        sources.push_back(t.source);
      }
    }
    std::string producers;
    for (const auto& s : sources) producers += (producers.empty() ? "" : ", ") + s;
    channels[channel_id] = {
        {"address", topic},
        {"description", "Topic " + topic +
                            ". Keyed by the aggregate id, so the events of one aggregate "
                            "are delivered in order."},
        {"messages", std::move(channel_messages)}};
    operations["send" + camel_case(topic, true)] = {
        {"action", "send"},
        {"channel", {{"$ref", "#/channels/" + channel_id}}},
        {"summary", "Published by " + producers + ", through its transactional outbox"},
        {"messages", std::move(operation_messages)}};
  }

  json::object component_schemas{{kEnvelopeName, envelope_schema()}};
  for (const auto& kv : schemas.components()) {
    if (component_schemas.contains(kv.key())) {
      throw std::logic_error("a DTO is named like the envelope schema: " + std::string(kv.key()));
    }
    component_schemas[kv.key()] = kv.value();
  }

  json::object doc;
  doc["asyncapi"] = "3.0.0";
  doc["info"] = {
      {"title", info.title},
      {"version", info.version},
      {"description",
       "Domain events of MicroMax, published as CloudEvents 1.0 in structured JSON mode. "
       "Generated from shared/models by mmx-contracts (scripts/update-contracts.sh); do not "
       "edit by hand."}};
  doc["defaultContentType"] = kMessageContentType;
  doc["channels"] = std::move(channels);
  doc["operations"] = std::move(operations);
  doc["components"] = {{"schemas", std::move(component_schemas)},
                       {"messages", std::move(messages)}};
  return doc;
}

}  // namespace mmx::broker
