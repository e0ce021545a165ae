#pragma once
// The declared event types as data: the single list that the publish-time validator
// (mmx/broker/contracts.hpp) and the AsyncAPI document (shared/contracts/asyncapi.yaml) are
// built from. models does not depend on the broker: an entry only knows its data.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "mmx/dto/errors.hpp"
#include "mmx/dto/schema.hpp"

namespace mmx::models {

// Bumped with the contract: minor for a new type or optional member, major for anything a
// consumer built against the old one would reject.
inline constexpr std::string_view kEventContractVersion = "1.0.0";

struct EventType {
  std::string type;     // CloudEvents `type`, e.g. "order.placed"
  std::string topic;    // broker topic, the AsyncAPI channel address
  std::string summary;  // one line, for the document
  std::string source;   // CloudEvents `source` of the service that emits it
  // Self-contained JSON Schema (draft 2020-12, nested types in $defs) of the event's data.
  boost::json::object schema;
  // The data's schema for a document whose shared definitions `registry` collects (AsyncAPI
  // components): a $ref, plus what this type pins on top of the shared struct.
  std::function<boost::json::object(dto::SchemaRegistry& registry)> document_schema;
  // Every way `data` breaks the contract, as JSON pointers relative to `data`; empty: it fits.
  std::function<std::vector<dto::FieldError>(const boost::json::value& data)> check;
  // A valid `data`, for the document's examples and for tests.
  boost::json::value example;
};

// Every declared event type, grouped by topic. Built once.
const std::vector<EventType>& event_catalog();

// nullptr when `type` is not declared.
const EventType* find_event_type(std::string_view type);

}  // namespace mmx::models
