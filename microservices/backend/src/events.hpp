#pragma once
// The backend's domain events, written to the outbox in the transaction of the change they
// report (shared/models/events.hpp declares their data; shared/contracts/asyncapi.yaml
// documents them). Keys are the aggregate ids, so per-product and per-order order holds.
#include <optional>
#include <string>
#include <string_view>

#include "models.hpp"
#include "service.hpp"

namespace mmx::backend {

// product.created / product.updated with the product as it is after the change.
awaitable<void> emit_product(Service& svc, db::Transaction& tx, std::string_view type,
                             const Product& p, std::string traceparent);
// product.deleted: the identity and the version of the deletion.
awaitable<void> emit_product_deleted(Service& svc, db::Transaction& tx, const Product& p,
                                     std::int64_t version, dto::TimePoint at,
                                     std::string traceparent);
// order.<status> with the order after the transition; `at` is when it happened (the seed
// writes history, so it is not always now).
awaitable<void> emit_order(Service& svc, db::Transaction& tx, const Order& o, dto::TimePoint at,
                           std::string traceparent);

}  // namespace mmx::backend
