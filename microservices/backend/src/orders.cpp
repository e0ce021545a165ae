#include "orders.hpp"

#include <map>
#include <set>

#include "catalog.hpp"
#include "events.hpp"
#include "mmx/auth/secrets.hpp"
#include "mmx/db/where.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/errors/http_error.hpp"
#include "products.hpp"

namespace mmx::backend {

namespace asio = boost::asio;

namespace {

constexpr const char* kOrderColumns =
    "id, user_id, status, total_cents, currency, idempotency_key, request_hash, cancel_reason, "
    "created_at, updated_at, paid_at, shipped_at, delivered_at, cancelled_at, version";

struct Reserved {
  std::int64_t id = 0;
  std::string sku, name;
  std::int64_t price_cents = 0;
  std::string currency;
  std::int64_t version = 0;
};
BOOST_DESCRIBE_STRUCT(Reserved, (), (id, sku, name, price_cents, currency, version))

struct Availability {
  std::int64_t stock = 0;
  bool active = true;
  std::string sku;
};
BOOST_DESCRIBE_STRUCT(Availability, (), (stock, active, sku))

struct ProductCounts {
  std::int64_t products = 0, active_products = 0, out_of_stock = 0;
};
BOOST_DESCRIBE_STRUCT(ProductCounts, (), (products, active_products, out_of_stock))

struct StatusRow {
  std::string status;
  std::int64_t orders = 0, total_cents = 0;
};
BOOST_DESCRIBE_STRUCT(StatusRow, (), (status, orders, total_cents))

// Stored as the enumerator's name; the CHECK constraint keeps the column to those.
OrderStatus parse_status(const std::string& s) {
  return dto::detail::enum_from_name<OrderStatus>(s).value_or(OrderStatus::pending);
}

Order to_order(const OrderRow& r) {
  Order o;
  o.id = r.id;
  o.user_id = r.user_id;
  o.status = parse_status(r.status);
  o.total_cents = r.total_cents;
  o.currency = r.currency;
  o.cancel_reason = r.cancel_reason;
  o.created_at = r.created_at;
  o.updated_at = r.updated_at;
  o.paid_at = r.paid_at;
  o.shipped_at = r.shipped_at;
  o.delivered_at = r.delivered_at;
  o.cancelled_at = r.cancelled_at;
  o.version = r.version;
  return o;
}

OrderLine to_line(const OrderLineRow& l) {
  return {
      l.product_id, l.sku, l.name, l.quantity, l.unit_price_cents, l.unit_price_cents * l.quantity};
}

// What the Idempotency-Key is bound to: the lines, in order.
std::string request_hash(const PlaceOrder& body) {
  std::string canon;
  for (const auto& l : body.lines) {
    canon += std::to_string(l.product_id) + "x" + std::to_string(l.quantity) + ";";
  }
  return auth::sha256_hex(canon);
}

awaitable<std::optional<OrderRow>> find_by_key(db::Session& s, std::string user_id,
                                               std::string key) {
  static const std::string sql = std::string("SELECT ") + kOrderColumns +
                                 " FROM orders WHERE user_id = $1 AND idempotency_key = $2";
  return s.fetch_one<OrderRow>(db::Sql::persistent(sql), user_id, key);
}

awaitable<std::vector<OrderLine>> lines_of(db::Session& s, std::int64_t order_id) {
  auto rows = co_await s.fetch_all<OrderLineRow>(
      "SELECT order_id, product_id, sku, name, quantity, unit_price_cents FROM order_lines "
      "WHERE order_id = $1 ORDER BY line_no",
      order_id);
  std::vector<OrderLine> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(to_line(r));
  co_return out;
}

awaitable<Order> with_lines(db::Session& s, const OrderRow& row) {
  Order o = to_order(row);
  o.lines = co_await lines_of(s, o.id);
  co_return o;
}

// Replays an order made earlier with the same key, or refuses a different request under it.
awaitable<Placed> replay(db::Session& s, const OrderRow& row, const std::string& hash) {
  if (row.request_hash != hash) {
    throw std::move(errors::HttpError(422,
                                      "This Idempotency-Key was used for a different order "
                                      "(other lines). Use a new key for a new order.")
                        .with_type("urn:micromax:problem:idempotency-key-reused"));
  }
  Placed p;
  p.order = co_await with_lines(s, row);
  p.replayed = true;
  co_return p;
}

const char* time_column(OrderStatus s) {
  switch (s) {
    case OrderStatus::paid:
      return "paid_at";
    case OrderStatus::shipped:
      return "shipped_at";
    case OrderStatus::delivered:
      return "delivered_at";
    default:
      return "cancelled_at";
  }
}

}  // namespace

std::string_view status_name(OrderStatus s) { return dto::detail::enum_name(s); }

bool transition_allowed(OrderStatus from, OrderStatus to) {
  switch (to) {
    case OrderStatus::paid:
      return from == OrderStatus::pending;
    case OrderStatus::shipped:
      return from == OrderStatus::paid;
    case OrderStatus::delivered:
      return from == OrderStatus::shipped;
    case OrderStatus::cancelled:
      return from == OrderStatus::pending || from == OrderStatus::paid;
    default:
      return false;
  }
}

awaitable<Placed> place_order(Service& svc, PlaceRequest in) {
  {
    std::vector<dto::FieldError> errors;
    std::set<std::int64_t> seen;
    for (std::size_t i = 0; i < in.body.lines.size(); ++i) {
      if (!seen.insert(in.body.lines[i].product_id).second) {
        errors.push_back({"/lines/" + std::to_string(i) + "/product_id",
                          "appears in an earlier line: one line per product"});
      }
    }
    if (!errors.empty()) throw errors::unprocessable(std::move(errors));
  }
  const std::string hash = request_hash(in.body);
  if (in.idempotency_key) {
    auto earlier = co_await find_by_key(*svc.db, in.user_id, *in.idempotency_key);
    if (earlier) co_return co_await replay(*svc.db, *earlier, hash);
  }

  Placed placed;
  std::vector<std::pair<std::int64_t, std::int64_t>> moved;  // product id, new version
  bool key_taken = false;
  try {
    co_await svc.db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
      const dto::TimePoint now = in.at.value_or(std::chrono::system_clock::now());
      Order& o = placed.order;
      o = {};
      moved.clear();
      std::vector<dto::FieldError> errors;
      for (std::size_t i = 0; i < in.body.lines.size(); ++i) {
        const OrderLineInput& line = in.body.lines[i];
        const std::string at = "/lines/" + std::to_string(i) + "/product_id";
        // The reservation is this one conditional UPDATE: it cannot take stock below zero,
        // whatever runs concurrently (SQLite: one writer; PostgreSQL: the row lock, and
        // the condition re-checked after it).
        auto r = co_await tx.fetch_one<Reserved>(
            "UPDATE products SET stock = stock - $2, version = version + 1, updated_at = $3 "
            "WHERE id = $1 AND active AND stock >= $2 "
            "RETURNING id, sku, name, price_cents, currency, version",
            line.product_id, static_cast<std::int64_t>(line.quantity), now);
        if (!r) {
          auto why = co_await tx.fetch_one<Availability>(
              "SELECT stock, active, sku FROM products WHERE id = $1", line.product_id);
          if (!why || !why->active) {
            errors.push_back({at, "no such product (or it is not for sale)"});
            continue;
          }
          throw std::move(errors::conflict("Not enough stock of " + why->sku + ": " +
                                           std::to_string(why->stock) + " left, " +
                                           std::to_string(line.quantity) +
                                           " ordered. Nothing was ordered.")
                              .with_extension("product_id", line.product_id)
                              .with_extension("available", why->stock));
        }
        if (o.currency.empty()) o.currency = r->currency;
        if (r->currency != o.currency) {
          errors.push_back({at, "is priced in " + r->currency + ", an earlier line in " +
                                    o.currency + ": one currency per order"});
          continue;
        }
        moved.emplace_back(r->id, r->version);
        o.lines.push_back({r->id, r->sku, r->name, line.quantity, r->price_cents,
                           r->price_cents * line.quantity});
        o.total_cents += r->price_cents * line.quantity;
      }
      if (!errors.empty()) throw errors::unprocessable(std::move(errors));

      o.user_id = in.user_id;
      o.status = OrderStatus::pending;
      o.created_at = o.updated_at = now;
      o.version = 1;
      auto id = co_await tx.fetch_value<std::int64_t>(
          "INSERT INTO orders (user_id, status, total_cents, currency, idempotency_key, "
          "request_hash, created_at, updated_at, version) "
          "VALUES ($1, 'pending', $2, $3, $4, $5, $6, $6, 1) RETURNING id",
          o.user_id, o.total_cents, o.currency, in.idempotency_key, hash, now);
      o.id = *id;
      for (std::size_t i = 0; i < o.lines.size(); ++i) {
        const OrderLine& l = o.lines[i];
        co_await tx.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, "
            "unit_price_cents) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            o.id, static_cast<std::int64_t>(i + 1), l.product_id, l.sku, l.name,
            static_cast<std::int64_t>(l.quantity), l.unit_price_cents);
      }
      co_await emit_order(svc, tx, o, now, in.traceparent);
    });
  } catch (const db::DbError& e) {
    // A concurrent request with the same key committed first: answer with its order.
    if (e.kind() != db::ErrorKind::unique_violation || !in.idempotency_key) throw;
    key_taken = true;
  }
  if (key_taken) {
    auto earlier = co_await find_by_key(*svc.db, in.user_id, *in.idempotency_key);
    if (!earlier) throw errors::conflict("The order could not be placed; retry.");
    co_return co_await replay(*svc.db, *earlier, hash);
  }
  co_await invalidate_products(svc, std::move(moved));
  co_return placed;
}

awaitable<std::optional<Order>> find_order(db::Session& s, std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kOrderColumns + " FROM orders WHERE id = $1";
  auto row = co_await s.fetch_one<OrderRow>(db::Sql::persistent(sql), id);
  if (!row) co_return std::nullopt;
  co_return co_await with_lines(s, *row);
}

awaitable<OrderPage> list_orders(db::Session& s, OrderFilter f) {
  db::Where w;
  if (f.user_id) w.add("user_id = " + w.bind(*f.user_id));
  if (f.status) w.add("status = " + w.bind(std::string(status_name(*f.status))));
  db::Params count_params = w.params();
  std::string count_sql = "SELECT COUNT(*) FROM orders" + w.sql();
  std::string sql = std::string("SELECT ") + kOrderColumns + " FROM orders" + w.sql() +
                    " ORDER BY id DESC LIMIT " + w.bind(f.limit) + " OFFSET " + w.bind(f.offset);
  auto rows = co_await s.fetch_all_params<OrderRow>(std::move(sql), w.take_params());
  OrderPage page;
  page.limit = f.limit;
  page.offset = f.offset;
  if (!rows.empty()) {
    // Every line of the page in one query.
    std::string ids;
    for (const auto& r : rows) ids += (ids.empty() ? "" : ", ") + std::to_string(r.id);
    auto lines = co_await s.fetch_all<OrderLineRow>(
        "SELECT order_id, product_id, sku, name, quantity, unit_price_cents FROM order_lines "
        "WHERE order_id IN (" +
        ids + ") ORDER BY order_id, line_no");
    std::map<std::int64_t, std::vector<OrderLine>> by_order;
    for (const auto& l : lines) by_order[l.order_id].push_back(to_line(l));
    for (const auto& r : rows) {
      Order o = to_order(r);
      o.lines = std::move(by_order[r.id]);
      page.items.push_back(std::move(o));
    }
  }
  page.total = co_await page_total(s, static_cast<std::int64_t>(page.items.size()), f.limit,
                                   f.offset, std::move(count_sql), std::move(count_params));
  co_return page;
}

awaitable<Order> transition_order(Service& svc, Transition t) {
  Order result;
  std::vector<std::pair<std::int64_t, std::int64_t>> restocked;
  bool changed = false;
  co_await svc.db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
    restocked.clear();
    changed = false;
    auto current = co_await find_order(tx, t.order_id);
    if (!current || (t.only_user && current->user_id != *t.only_user)) {
      throw errors::not_found("No order " + std::to_string(t.order_id) + ".");
    }
    result = std::move(*current);
    if (result.status == t.to) co_return;  // a retried callback: already done
    if (!transition_allowed(result.status, t.to)) {
      throw std::move(
          errors::conflict("An order that is " + std::string(status_name(result.status)) +
                           " cannot become " + std::string(status_name(t.to)) + ".")
              .with_extension("status", boost::json::string(status_name(result.status))));
    }
    const dto::TimePoint now = t.at.value_or(std::chrono::system_clock::now());
    const std::string from(status_name(result.status));
    const std::int64_t n = co_await tx.execute(
        std::string("UPDATE orders SET status = $2, updated_at = $3, ") + time_column(t.to) +
            " = $3, cancel_reason = $4, version = version + 1 WHERE id = $1 AND status = $5",
        result.id, std::string(status_name(t.to)), now, t.reason, from);
    if (n != 1) throw errors::conflict("The order changed while this request was applied; retry.");
    if (t.to == OrderStatus::cancelled) {
      for (const OrderLine& l : result.lines) {
        // A product deleted since keeps no stock to return.
        auto v = co_await tx.fetch_value<std::int64_t>(
            "UPDATE products SET stock = stock + $2, version = version + 1, updated_at = $3 "
            "WHERE id = $1 RETURNING version",
            l.product_id, static_cast<std::int64_t>(l.quantity), now);
        if (v) restocked.emplace_back(l.product_id, *v);
      }
      result.cancel_reason = t.reason;
      result.cancelled_at = now;
    }
    if (t.to == OrderStatus::paid) result.paid_at = now;
    if (t.to == OrderStatus::shipped) result.shipped_at = now;
    if (t.to == OrderStatus::delivered) result.delivered_at = now;
    result.status = t.to;
    result.updated_at = now;
    result.version += 1;
    changed = true;
    co_await emit_order(svc, tx, result, now, t.traceparent);
  });
  if (changed) co_await invalidate_products(svc, std::move(restocked));
  co_return result;
}

awaitable<Counts> count_all(db::Session& s) {
  // SUM is NUMERIC on PostgreSQL: cast back to BIGINT so both dialects map alike.
  auto pc = co_await s.fetch_one<ProductCounts>(
      "SELECT COUNT(*) AS products, "
      "CAST(COALESCE(SUM(CASE WHEN active THEN 1 ELSE 0 END), 0) AS BIGINT) AS active_products, "
      "CAST(COALESCE(SUM(CASE WHEN stock = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS out_of_stock "
      "FROM products");
  auto rows = co_await s.fetch_all<StatusRow>(
      "SELECT status, COUNT(*) AS orders, CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) AS "
      "total_cents FROM orders GROUP BY status ORDER BY status");
  Counts c;
  c.products = pc->products;
  c.active_products = pc->active_products;
  c.out_of_stock = pc->out_of_stock;
  for (const auto& row : rows) {
    StatusCount sc{parse_status(row.status), row.orders, row.total_cents};
    c.orders += sc.orders;
    if (sc.status == OrderStatus::paid || sc.status == OrderStatus::shipped ||
        sc.status == OrderStatus::delivered) {
      c.revenue_cents += sc.total_cents;
    }
    c.orders_by_status.push_back(sc);
  }
  co_return c;
}

}  // namespace mmx::backend
