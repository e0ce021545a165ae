#pragma once
// The data (CloudEvents `data`) of the system's domain events: one described struct per
// shape, with its constraints next to it. Producers publish dto::to_json(...) of these and
// consumers read them with dto::from_json<...>(data, dto::Direction::response).
//
// shared/contracts/asyncapi.yaml is generated from these declarations and
// event_catalog.hpp: change a struct, run scripts/update-contracts.sh, commit both.
//
// Evolution: dto::from_json rejects unknown members, so a consumer built against an older
// contract refuses an event that carries a new member. Add members as optional and roll out
// consumers before producers; never rename or retype a member (add a new event type instead).
//
// Keys: every event is published with its aggregate's id as the key (the product id, the
// order id, the user id, as a decimal string where it is a number), so per-aggregate order
// holds on every backend. The CloudEvents `subject` carries the same id.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mmx/dto/dto.hpp"

namespace mmx::models {

// Broker topics, AsyncAPI channel addresses.
namespace topics {
inline constexpr std::string_view catalog_products = "catalog.products";
inline constexpr std::string_view orders = "orders";
inline constexpr std::string_view identity_users = "identity.users";
}  // namespace topics

// CloudEvents `type` values.
namespace event_types {
inline constexpr std::string_view product_created = "product.created";
inline constexpr std::string_view product_updated = "product.updated";
inline constexpr std::string_view product_deleted = "product.deleted";
inline constexpr std::string_view order_placed = "order.placed";
inline constexpr std::string_view order_paid = "order.paid";
inline constexpr std::string_view order_shipped = "order.shipped";
inline constexpr std::string_view order_delivered = "order.delivered";
inline constexpr std::string_view order_cancelled = "order.cancelled";
inline constexpr std::string_view user_registered = "user.registered";
}  // namespace event_types

// product.created and product.updated carry the whole product after the change (event-carried
// state transfer), so a consumer never has to call back to learn the new state.
struct ProductEvent {
  std::int64_t id = 0;
  std::string sku;
  std::string name;
  std::string description;
  std::int64_t price_cents = 0;
  std::string currency;
  std::int64_t stock = 0;
  std::string category;
  bool active = true;
  std::int64_t version = 0;
  dto::TimePoint updated_at;
};
BOOST_DESCRIBE_STRUCT(ProductEvent, (),
                      (id, sku, name, description, price_cents, currency, stock, category, active,
                       version, updated_at))
MMX_DTO_CONSTRAINTS(
    ProductEvent, (id, minimum(1), description("Product id; also the event key")),
    (sku, length(1, 64), description("Stock keeping unit, unique per product"), example("BK-0042")),
    (name, length(1, 200), description("Display name")),
    (description, length(0, 10000), description("Long description; may be empty")),
    (price_cents, minimum(0), description("Unit price in minor units")),
    (currency, pattern("^[A-Z]{3}$"), description("ISO 4217 currency code of price_cents"),
     example("EUR")),
    (stock, minimum(0), description("Units in stock")),
    (category, length(0, 100), description("Category name; may be empty")),
    (active, description("False when the product is hidden from the shop")),
    (version, minimum(1),
     description("Row version, +1 per change: apply an event only if it is newer than the "
                 "version you hold (events may be redelivered)")),
    (updated_at, description("When this version was written")))

// product.deleted carries only the identity and the version that deleted it: the product's
// last state came with its last product.updated.
struct ProductDeleted {
  std::int64_t id = 0;
  std::string sku;
  std::int64_t version = 0;
  dto::TimePoint deleted_at;
};
BOOST_DESCRIBE_STRUCT(ProductDeleted, (), (id, sku, version, deleted_at))
MMX_DTO_CONSTRAINTS(ProductDeleted, (id, minimum(1), description("Product id; also the event key")),
                    (sku, length(1, 64), description("Stock keeping unit of the deleted product")),
                    (version, minimum(1), description("Row version of the deletion")),
                    (deleted_at, description("When the product was deleted")))

enum class OrderStatus { pending, paid, shipped, delivered, cancelled };
BOOST_DESCRIBE_ENUM(OrderStatus, pending, paid, shipped, delivered, cancelled)

struct OrderLine {
  std::int64_t product_id = 0;
  std::string sku;
  std::int32_t quantity = 0;
  std::int64_t unit_price_cents = 0;
};
BOOST_DESCRIBE_STRUCT(OrderLine, (), (product_id, sku, quantity, unit_price_cents))
MMX_DTO_CONSTRAINTS(OrderLine, (product_id, minimum(1)), (sku, length(1, 64)),
                    (quantity, minimum(1)),
                    (unit_price_cents, minimum(0),
                     description("Price of one unit when the order was placed, minor units")))

// Every order.* event carries the order as it is after the transition; `status` always
// matches the event type (order.paid -> paid, ...), which the contract checks.
struct OrderEvent {
  std::int64_t id = 0;
  std::string user_id;
  OrderStatus status = OrderStatus::pending;
  std::int64_t total_cents = 0;
  std::string currency;
  std::vector<OrderLine> lines;
  dto::TimePoint occurred_at;
};
BOOST_DESCRIBE_STRUCT(OrderEvent, (),
                      (id, user_id, status, total_cents, currency, lines, occurred_at))

// Shared with OrderCancelled, whose inherited members need the same rules.
#define MMX_MODELS_ORDER_EVENT_RULES                                                          \
  (id, minimum(1), description("Order id; also the event key")),                              \
      (user_id, length(1, 128), description("Id of the user who placed the order")),          \
      (status, description("Status after this event; matches the event type")),               \
      (total_cents, minimum(0), description("Order total in minor units")),                   \
      (currency, pattern("^[A-Z]{3}$"), description("ISO 4217 currency code of all amounts"), \
       example("EUR")),                                                                       \
      (lines, items(1)), (occurred_at, description("When the transition happened"))

MMX_DTO_CONSTRAINTS(OrderEvent, MMX_MODELS_ORDER_EVENT_RULES)

// order.cancelled: the order as cancelled, and why when someone said.
struct OrderCancelled : OrderEvent {
  std::optional<std::string> reason;
};
BOOST_DESCRIBE_STRUCT(OrderCancelled, (OrderEvent), (reason))
MMX_DTO_CONSTRAINTS(OrderCancelled, MMX_MODELS_ORDER_EVENT_RULES,
                    (reason, length(1, 500), description("Why the order was cancelled")))

#undef MMX_MODELS_ORDER_EVENT_RULES

// user.registered, emitted by auth. Never carries a password or its hash.
struct UserRegistered {
  std::string user_id;
  std::string email;
  std::string full_name;
  std::vector<std::string> roles;
};
BOOST_DESCRIBE_STRUCT(UserRegistered, (), (user_id, email, full_name, roles))
MMX_DTO_CONSTRAINTS(UserRegistered,
                    (user_id, length(1, 128), description("User id; also the event key")),
                    (email, email(), length(3, 254)), (full_name, length(0, 200)),
                    (roles, items(0, 64), description("Role names granted at registration")))

}  // namespace mmx::models
