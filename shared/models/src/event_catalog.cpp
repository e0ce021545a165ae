#include "mmx/models/event_catalog.hpp"

#include <algorithm>
#include <utility>

#include "mmx/dto/dto.hpp"
#include "mmx/models/events.hpp"

namespace mmx::models {
namespace {

namespace json = boost::json;

constexpr std::string_view kBackend = "/micromax/backend";
constexpr std::string_view kAuth = "/micromax/auth";

// Consumers read with Direction::response: the data is what a producer sent, not a request.
template <class T>
std::vector<dto::FieldError> check_as(const json::value& data) {
  try {
    dto::from_json<T>(data, dto::Direction::response);
    return {};
  } catch (const dto::ValidationError& e) {
    return e.errors();
  }
}

template <class T>
EventType declare(std::string_view type, std::string_view topic, std::string_view source,
                  std::string summary, const T& example) {
  EventType e;
  e.type = type;
  e.topic = topic;
  e.summary = std::move(summary);
  e.source = source;
  e.schema = dto::json_schema<T>();
  e.document_schema = [](dto::SchemaRegistry& registry) { return registry.ref<T>(); };
  e.check = &check_as<T>;
  e.example = dto::to_json(example);
  return e;
}

// All order.* types share one struct; each pins `status` to the state it announces, in the
// schema as well as in the check, so consumers may rely on it.
EventType pin_status(EventType e, OrderStatus status) {
  const std::string name(dto::to_json(status).as_string());
  e.schema["properties"].as_object()["status"].as_object()["const"] = name;

  e.document_schema = [shared = std::move(e.document_schema), name](dto::SchemaRegistry& r) {
    json::object pinned{{"properties", json::object{{"status", json::object{{"const", name}}}}}};
    return json::object{{"allOf", json::array{shared(r), std::move(pinned)}}};
  };

  std::string message = "must be \"" + name + "\" in an " + e.type + " event";
  e.check = [shared = std::move(e.check), name, message](const json::value& data) {
    std::vector<dto::FieldError> errors = shared(data);
    const json::object* object = data.if_object();
    const json::value* value = object ? object->if_contains("status") : nullptr;
    bool reported = std::any_of(errors.begin(), errors.end(),
                                [](const dto::FieldError& f) { return f.pointer == "/status"; });
    // A missing or malformed status has its own error already.
    if (value && value->is_string() && value->get_string() != name && !reported) {
      errors.push_back({"/status", message});
    }
    return errors;
  };
  return e;
}

dto::TimePoint at(std::string_view rfc3339) { return dto::parse_date_time(rfc3339).value(); }

ProductEvent sample_product() {
  return {.id = 42,
          .sku = "BK-0042",
          .name = "The C++ Programming Language",
          .description = "Fourth edition, hardcover.",
          .price_cents = 5999,
          .currency = "EUR",
          .stock = 12,
          .category = "books",
          .active = true,
          .version = 3,
          .updated_at = at("2026-01-15T10:30:00Z")};
}

OrderEvent sample_order(OrderStatus status) {
  OrderEvent o;
  o.id = 1001;
  o.user_id = "u-7f3a9c";
  o.status = status;
  o.total_cents = 11998;
  o.currency = "EUR";
  o.lines = {{.product_id = 42, .sku = "BK-0042", .quantity = 2, .unit_price_cents = 5999}};
  o.occurred_at = at("2026-01-15T11:00:00Z");
  return o;
}

EventType order_event(std::string_view type, OrderStatus status, std::string summary) {
  return pin_status(
      declare(type, topics::orders, kBackend, std::move(summary), sample_order(status)), status);
}

std::vector<EventType> build_catalog() {
  std::vector<EventType> c;
  c.push_back(declare(event_types::product_created, topics::catalog_products, kBackend,
                      "A product was added to the catalogue", sample_product()));
  c.push_back(declare(event_types::product_updated, topics::catalog_products, kBackend,
                      "A product changed: price, stock, text or visibility", sample_product()));
  c.push_back(declare(
      event_types::product_deleted, topics::catalog_products, kBackend,
      "A product was removed from the catalogue",
      ProductDeleted{
          .id = 42, .sku = "BK-0042", .version = 4, .deleted_at = at("2026-01-16T09:00:00Z")}));

  c.push_back(order_event(event_types::order_placed, OrderStatus::pending,
                          "A customer placed an order; it awaits payment"));
  c.push_back(
      order_event(event_types::order_paid, OrderStatus::paid, "An order's payment was received"));
  c.push_back(
      order_event(event_types::order_shipped, OrderStatus::shipped, "An order left the warehouse"));
  c.push_back(order_event(event_types::order_delivered, OrderStatus::delivered,
                          "An order reached the customer"));
  OrderCancelled cancelled;
  static_cast<OrderEvent&>(cancelled) = sample_order(OrderStatus::cancelled);
  cancelled.reason = "Customer changed their mind";
  c.push_back(pin_status(declare(event_types::order_cancelled, topics::orders, kBackend,
                                 "An order was cancelled before delivery", cancelled),
                         OrderStatus::cancelled));

  c.push_back(declare(event_types::user_registered, topics::identity_users, kAuth,
                      "A user account was created",
                      UserRegistered{.user_id = "u-7f3a9c",
                                     .email = "ada@example.com",
                                     .full_name = "Ada Lovelace",
                                     .roles = {"customer"}}));
  return c;
}

}  // namespace

const std::vector<EventType>& event_catalog() {
  static const std::vector<EventType> catalog = build_catalog();
  return catalog;
}

const EventType* find_event_type(std::string_view type) {
  const auto& catalog = event_catalog();
  auto it = std::find_if(catalog.begin(), catalog.end(),
                         [&](const EventType& e) { return e.type == type; });
  return it == catalog.end() ? nullptr : &*it;
}

}  // namespace mmx::models
