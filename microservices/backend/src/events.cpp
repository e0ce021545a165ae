#include "events.hpp"

#include "mmx/broker/event.hpp"

namespace mmx::backend {

namespace {

awaitable<void> add(Service& svc, db::Transaction& tx, std::string_view topic,
                    std::string_view type, std::string key, boost::json::value data,
                    dto::TimePoint at, std::string traceparent) {
  if (!svc.outbox) co_return;
  auto event = broker::make_event(std::string(type), kEventSource, std::move(data), key,
                                  std::move(traceparent));
  event.time = dto::format_date_time(at);
  co_await svc.outbox->add(tx, std::string(topic), std::move(key), std::move(event));
}

std::string_view order_event_type(OrderStatus s) {
  switch (s) {
    case OrderStatus::paid:
      return models::event_types::order_paid;
    case OrderStatus::shipped:
      return models::event_types::order_shipped;
    case OrderStatus::delivered:
      return models::event_types::order_delivered;
    case OrderStatus::cancelled:
      return models::event_types::order_cancelled;
    default:
      return models::event_types::order_placed;
  }
}

}  // namespace

awaitable<void> emit_product(Service& svc, db::Transaction& tx, std::string_view type,
                             const Product& p, std::string traceparent) {
  models::ProductEvent data{p.id,    p.sku,      p.name,   p.description, p.price_cents, p.currency,
                            p.stock, p.category, p.active, p.version,     p.updated_at};
  co_await add(svc, tx, models::topics::catalog_products, type, std::to_string(p.id),
               dto::to_json(data), p.updated_at, std::move(traceparent));
}

awaitable<void> emit_product_deleted(Service& svc, db::Transaction& tx, const Product& p,
                                     std::int64_t version, dto::TimePoint at,
                                     std::string traceparent) {
  models::ProductDeleted data{p.id, p.sku, version, at};
  co_await add(svc, tx, models::topics::catalog_products, models::event_types::product_deleted,
               std::to_string(p.id), dto::to_json(data), at, std::move(traceparent));
}

awaitable<void> emit_order(Service& svc, db::Transaction& tx, const Order& o, dto::TimePoint at,
                           std::string traceparent) {
  models::OrderCancelled data;  // an OrderEvent, plus the reason when cancelled
  data.id = o.id;
  data.user_id = o.user_id;
  data.status = o.status;
  data.total_cents = o.total_cents;
  data.currency = o.currency;
  data.occurred_at = at;
  for (const auto& l : o.lines) {
    data.lines.push_back({l.product_id, l.sku, l.quantity, l.unit_price_cents});
  }
  boost::json::value json;
  if (o.status == OrderStatus::cancelled) {
    data.reason = o.cancel_reason;
    json = dto::to_json(data);
  } else {
    json = dto::to_json(static_cast<const models::OrderEvent&>(data));
  }
  co_await add(svc, tx, models::topics::orders, order_event_type(o.status), std::to_string(o.id),
               std::move(json), at, std::move(traceparent));
}

}  // namespace mmx::backend
