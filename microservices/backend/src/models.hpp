#pragma once
// The backend's API bodies and database rows. Each API DTO declares its constraints once:
// they drive validation (422 with a pointer per field) and the OpenAPI schemas.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "currency.hpp"
#include "mmx/dto/dto.hpp"
#include "mmx/models/events.hpp"

namespace mmx::backend {

using models::OrderStatus;

// Bounds shared by the DTOs below and the checks in code.
inline constexpr std::int64_t kMaxPriceCents = 1'000'000'000'000;  // 10^10 in major units
inline constexpr std::int64_t kMaxStock = 1'000'000'000;
inline constexpr std::int32_t kMaxQuantity = 1000;
inline constexpr std::size_t kMaxOrderLines = 100;

// --- products ------------------------------------------------------------------------------

struct Product {
  std::int64_t id = 0;
  std::string sku;
  std::string name;
  std::string description;
  std::int64_t price_cents = 0;
  std::string currency;
  std::int64_t stock = 0;
  std::string category;
  bool active = true;
  dto::TimePoint created_at;
  dto::TimePoint updated_at;
  std::int64_t version = 1;
};
BOOST_DESCRIBE_STRUCT(Product, (),
                      (id, sku, name, description, price_cents, currency, stock, category, active,
                       created_at, updated_at, version))
MMX_DTO_CONSTRAINTS(
    Product, (id, minimum(1)), (sku, length(1, 64), example("BK-0042")),
    (price_cents, minimum(0), description("Unit price in minor units (cents)")),
    (currency, pattern("^[A-Z]{3}$"), description("ISO 4217 code"), example("EUR")),
    (stock, minimum(0)), (active, description("False: hidden from everyone but staff")),
    (version, minimum(1),
     description("Grows with every change; the ETag is its quoted value, and writes take it in "
                 "If-Match")))

// POST and PUT: every writable member (PUT replaces them all).
struct ProductInput {
  std::string sku;
  std::string name;
  std::string description;
  std::int64_t price_cents = 0;
  std::string currency;
  std::int64_t stock = 0;
  std::string category;
  bool active = true;
};
BOOST_DESCRIBE_STRUCT(ProductInput, (),
                      (sku, name, description, price_cents, currency, stock, category, active))

// The writable members' rules, shared by POST/PUT (members with a default may be left out:
// pass MMX_BACKEND_DEFAULTED) and PATCH (every member optional: pass nothing).
#define MMX_BACKEND_DEFAULTED , has_default()
#define MMX_BACKEND_PRODUCT_RULES(D)                                                            \
  (sku, length(1, 64), pattern("^[A-Za-z0-9][A-Za-z0-9._-]*$"),                                 \
   description("Stock keeping unit: letters, digits, '.', '_' and '-', unique"),                \
   example("BK-0042")),                                                                         \
      (name, length(1, 200), example("The Art of Computer Programming")),                       \
      (description, length(0, 10000) D),                                                        \
      (price_cents, range(0, kMaxPriceCents), description("Unit price in minor units (cents)"), \
       example(4999)),                                                                          \
      (currency, iso4217(), description("ISO 4217 code"), example("EUR")),                      \
      (stock, range(0, kMaxStock) D), (category, length(0, 100), example("books") D),           \
      (active, description("False: hidden from everyone but staff") D)

MMX_DTO_CONSTRAINTS(ProductInput, MMX_BACKEND_PRODUCT_RULES(MMX_BACKEND_DEFAULTED))

// PATCH: only the members present change.
struct ProductPatch {
  std::optional<std::string> sku;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::int64_t> price_cents;
  std::optional<std::string> currency;
  std::optional<std::int64_t> stock;
  std::optional<std::string> category;
  std::optional<bool> active;
};
BOOST_DESCRIBE_STRUCT(ProductPatch, (),
                      (sku, name, description, price_cents, currency, stock, category, active))
MMX_DTO_CONSTRAINTS(ProductPatch, MMX_BACKEND_PRODUCT_RULES())

struct ProductPage {
  std::vector<Product> items;
  std::int64_t total = 0;
  std::int64_t limit = 0;
  std::int64_t offset = 0;
};
BOOST_DESCRIBE_STRUCT(ProductPage, (), (items, total, limit, offset))
MMX_DTO_CONSTRAINTS(ProductPage, (total, description("Products matching the filters, all pages")))

// --- orders --------------------------------------------------------------------------------

struct OrderLineInput {
  std::int64_t product_id = 0;
  std::int32_t quantity = 0;
};
BOOST_DESCRIBE_STRUCT(OrderLineInput, (), (product_id, quantity))
MMX_DTO_CONSTRAINTS(OrderLineInput, (product_id, minimum(1)), (quantity, range(1, kMaxQuantity)))

struct PlaceOrder {
  std::vector<OrderLineInput> lines;
};
BOOST_DESCRIBE_STRUCT(PlaceOrder, (), (lines))
MMX_DTO_CONSTRAINTS(PlaceOrder,
                    (lines, items(1, kMaxOrderLines),
                     description("At most one line per product; prices come from the catalog")))

struct OrderLine {
  std::int64_t product_id = 0;
  std::string sku;
  std::string name;
  std::int32_t quantity = 0;
  std::int64_t unit_price_cents = 0;
  std::int64_t line_total_cents = 0;
};
BOOST_DESCRIBE_STRUCT(OrderLine, (),
                      (product_id, sku, name, quantity, unit_price_cents, line_total_cents))
MMX_DTO_CONSTRAINTS(OrderLine, (quantity, minimum(1)),
                    (unit_price_cents, minimum(0), description("Catalog price when ordered")),
                    (line_total_cents, minimum(0)))

struct Order {
  std::int64_t id = 0;
  std::string user_id;
  OrderStatus status = OrderStatus::pending;
  std::int64_t total_cents = 0;
  std::string currency;
  std::vector<OrderLine> lines;
  std::optional<std::string> cancel_reason;
  dto::TimePoint created_at;
  dto::TimePoint updated_at;
  std::optional<dto::TimePoint> paid_at;
  std::optional<dto::TimePoint> shipped_at;
  std::optional<dto::TimePoint> delivered_at;
  std::optional<dto::TimePoint> cancelled_at;
  std::int64_t version = 1;
};
BOOST_DESCRIBE_STRUCT(Order, (),
                      (id, user_id, status, total_cents, currency, lines, cancel_reason, created_at,
                       updated_at, paid_at, shipped_at, delivered_at, cancelled_at, version))
MMX_DTO_CONSTRAINTS(Order, (id, minimum(1)),
                    (user_id, description("The `sub` of the user who placed it")),
                    (total_cents, minimum(0), description("Sum of the lines, minor units")),
                    (currency, pattern("^[A-Z]{3}$")), (version, minimum(1)))

struct OrderPage {
  std::vector<Order> items;
  std::int64_t total = 0;
  std::int64_t limit = 0;
  std::int64_t offset = 0;
};
BOOST_DESCRIBE_STRUCT(OrderPage, (), (items, total, limit, offset))

struct CancelOrder {
  std::optional<std::string> reason;
};
BOOST_DESCRIBE_STRUCT(CancelOrder, (), (reason))
MMX_DTO_CONSTRAINTS(CancelOrder, (reason, length(1, 500)))

// A status transition by staff or by a service (payment, fulfilment).
struct StatusChange {
  OrderStatus status = OrderStatus::pending;
  std::optional<std::string> reason;
};
BOOST_DESCRIBE_STRUCT(StatusChange, (), (status, reason))
MMX_DTO_CONSTRAINTS(StatusChange,
                    (status, description("The next status: pending -> paid -> shipped -> "
                                         "delivered; cancelled from pending or paid")),
                    (reason, length(1, 500), description("Kept with a cancellation")))

// --- private API ---------------------------------------------------------------------------

struct BulkUpsert {
  std::vector<ProductInput> products;
};
BOOST_DESCRIBE_STRUCT(BulkUpsert, (), (products))

struct UpsertResult {
  std::string sku;
  std::int64_t id = 0;
  std::string result;  // created, updated, unchanged
  std::int64_t version = 1;
};
BOOST_DESCRIBE_STRUCT(UpsertResult, (), (sku, id, result, version))
MMX_DTO_CONSTRAINTS(UpsertResult, (result, one_of({"created", "updated", "unchanged"})))

struct BulkUpsertResult {
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;
  std::vector<UpsertResult> items;
};
BOOST_DESCRIBE_STRUCT(BulkUpsertResult, (), (created, updated, unchanged, items))
MMX_DTO_CONSTRAINTS(BulkUpsertResult, (items, description("One per input row, in input order")))

struct StatusCount {
  OrderStatus status = OrderStatus::pending;
  std::int64_t orders = 0;
  std::int64_t total_cents = 0;
};
BOOST_DESCRIBE_STRUCT(StatusCount, (), (status, orders, total_cents))

struct Counts {
  std::int64_t products = 0;
  std::int64_t active_products = 0;
  std::int64_t out_of_stock = 0;
  std::int64_t orders = 0;
  std::vector<StatusCount> orders_by_status;
  std::int64_t revenue_cents = 0;
};
BOOST_DESCRIBE_STRUCT(Counts, (),
                      (products, active_products, out_of_stock, orders, orders_by_status,
                       revenue_cents))
MMX_DTO_CONSTRAINTS(Counts,
                    (revenue_cents,
                     description("Total of paid, shipped and delivered orders (all currencies "
                                 "added as minor units: the demo shop sells in one)")))

// --- rows ----------------------------------------------------------------------------------

struct OrderRow {
  std::int64_t id = 0;
  std::string user_id;
  std::string status;
  std::int64_t total_cents = 0;
  std::string currency;
  std::optional<std::string> idempotency_key;
  std::optional<std::string> request_hash;
  std::optional<std::string> cancel_reason;
  dto::TimePoint created_at;
  dto::TimePoint updated_at;
  std::optional<dto::TimePoint> paid_at;
  std::optional<dto::TimePoint> shipped_at;
  std::optional<dto::TimePoint> delivered_at;
  std::optional<dto::TimePoint> cancelled_at;
  std::int64_t version = 1;
};
BOOST_DESCRIBE_STRUCT(OrderRow, (),
                      (id, user_id, status, total_cents, currency, idempotency_key, request_hash,
                       cancel_reason, created_at, updated_at, paid_at, shipped_at, delivered_at,
                       cancelled_at, version))

struct OrderLineRow {
  std::int64_t order_id = 0;
  std::int64_t product_id = 0;
  std::string sku;
  std::string name;
  std::int32_t quantity = 0;
  std::int64_t unit_price_cents = 0;
};
BOOST_DESCRIBE_STRUCT(OrderLineRow, (),
                      (order_id, product_id, sku, name, quantity, unit_price_cents))

}  // namespace mmx::backend
