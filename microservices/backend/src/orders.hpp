#pragma once
// Orders: placing one (stock reserved atomically, prices from the catalog, an
// Idempotency-Key that can never make a second order), reading them, and the status
// machine pending -> paid -> shipped -> delivered, with cancelled from pending or paid
// (restocking). Every change writes its order.* event in the same transaction.
#include <optional>
#include <string>
#include <vector>

#include "models.hpp"
#include "service.hpp"

namespace mmx::backend {

struct Placed {
  Order order;
  bool replayed = false;  // the Idempotency-Key had made this order before
};

struct PlaceRequest {
  std::string user_id;
  PlaceOrder body;
  std::optional<std::string> idempotency_key;
  std::string traceparent;
  std::optional<dto::TimePoint> at;  // the seed writes history; else now
};
awaitable<Placed> place_order(Service& svc, PlaceRequest req);

awaitable<std::optional<Order>> find_order(db::Session& s, std::int64_t id);

struct OrderFilter {
  std::optional<std::string> user_id;
  std::optional<OrderStatus> status;
  std::int64_t limit = 20, offset = 0;
};
awaitable<OrderPage> list_orders(db::Session& s, OrderFilter f);

struct Transition {
  std::int64_t order_id = 0;
  OrderStatus to = OrderStatus::pending;
  std::optional<std::string> reason;
  std::optional<std::string> only_user;  // a customer acting on their own order
  std::string traceparent;
  std::optional<dto::TimePoint> at;
};
// 404 (no such order, or not `only_user`'s), 409 (not allowed from the current status).
// Moving to the status it already has changes nothing and returns the order.
awaitable<Order> transition_order(Service& svc, Transition t);

bool transition_allowed(OrderStatus from, OrderStatus to);
std::string_view status_name(OrderStatus s);

awaitable<Counts> count_all(db::Session& s);

}  // namespace mmx::backend
