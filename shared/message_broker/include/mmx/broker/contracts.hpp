#pragma once
// Event contracts: every event type a service may publish is declared once in
// mmx/models/event_catalog.hpp. From that list come the publish-time validator and the
// AsyncAPI 3.0 document committed as shared/contracts/asyncapi.yaml.
//
//   broker::ContractRegistry contracts;
//   broker::BrokerOptions options;
//   if (broker::validation_enabled_by_default()) options.validate = contracts.validator();
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "mmx/broker/broker.hpp"
#include "mmx/broker/event.hpp"
#include "mmx/dto/errors.hpp"
#include "mmx/models/event_catalog.hpp"

namespace mmx::broker {

// An event that does not fit its contract. what() lists every failing field; errors() has
// them with pointers into the CloudEvent ("/data/lines/0/quantity", "/datacontenttype").
class ContractViolation : public EventError {
 public:
  ContractViolation(const std::string& type, std::vector<dto::FieldError> errors);

  const std::vector<dto::FieldError>& errors() const noexcept { return *errors_; }

 private:
  std::shared_ptr<const std::vector<dto::FieldError>> errors_;
};

class ContractRegistry {
 public:
  // The system's catalogue, models::event_catalog().
  ContractRegistry();
  explicit ContractRegistry(std::vector<models::EventType> catalog);

  const std::vector<models::EventType>& event_types() const noexcept;
  // nullptr when `type` is not declared.
  const models::EventType* find(std::string_view type) const;
  // Every topic, in the order the catalogue first names it.
  std::vector<std::string> topics() const;

  // Throws EventError for an undeclared type, ContractViolation (an EventError) when the
  // envelope or the data does not fit.
  void check(const Event& event) const;
  // check() as BrokerOptions::validate / OutboxOptions::validate; it shares this registry's
  // catalogue, so it may outlive the registry.
  EventValidator validator() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

struct AsyncApiInfo {
  std::string title = "MicroMax events";
  std::string version = std::string(models::kEventContractVersion);
};

// The AsyncAPI 3.0.0 document of every declared event: a channel per topic, a send
// operation per channel, a message per type whose payload is the structured-mode CloudEvent
// (`type` pinned, `data` referring to components.schemas). Deterministic: same catalogue,
// same document, so the committed copy can be diffed.
boost::json::object asyncapi_document(const ContractRegistry& registry,
                                      const AsyncApiInfo& info = {});

// Whether a service validates what it publishes unless configured otherwise: in debug builds
// (no NDEBUG), where catching a contract break early is worth the cost.
bool validation_enabled_by_default() noexcept;

}  // namespace mmx::broker
