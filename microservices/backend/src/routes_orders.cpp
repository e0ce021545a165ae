// Orders for their owners (customers see only their own) and for staff (all, with filters).
#include "access.hpp"
#include "mmx/auth/principal.hpp"
#include "mmx/dto/detail/check.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/http/query_reader.hpp"
#include "orders.hpp"
#include "routes.hpp"

namespace mmx::backend {

namespace {

constexpr const char* kOrder = "/api/v1/orders/{id:int}";

// The user behind the token. Orders belong to users: a service token cannot place one.
const auth::Principal& user_principal(const http::Request& req) {
  const auth::Principal* p = auth::principal(req);
  if (!p) throw errors::unauthorized("A bearer token is required.");
  if (p->is_service) {
    throw errors::forbidden("Orders are placed by users; a service token has no user.");
  }
  return *p;
}

// Idempotency-Key: 1 to 255 printable ASCII characters (a UUID, typically).
std::optional<std::string> idempotency_key(const http::Request& req) {
  auto h = req.header("Idempotency-Key");
  if (!h) return std::nullopt;
  const bool ok = !h->empty() && h->size() <= 255 &&
                  std::all_of(h->begin(), h->end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (!ok) {
    boost::json::array errs;
    errs.push_back({{"parameter", "Idempotency-Key"},
                    {"in", "header"},
                    {"detail", "must be 1 to 255 printable ASCII characters"}});
    throw std::move(errors::HttpError(422,
                                      "header Idempotency-Key must be 1 to 255 printable "
                                      "ASCII characters.")
                        .with_type("urn:micromax:problem:validation")
                        .with_extension("errors", std::move(errs)));
  }
  return std::string(*h);
}

OrderFilter read_filter(const http::Request& req, const Service& svc) {
  http::QueryReader q(req);
  OrderFilter f;
  f.limit = q.integer("limit", 1, svc.settings.page_max).value_or(svc.settings.page_default);
  f.offset = q.integer("offset", 0, 1'000'000'000).value_or(0);
  auto status = q.choice("status", {"pending", "paid", "shipped", "delivered", "cancelled"});
  f.user_id = q.text("user_id", 128);
  q.finish();
  if (status) f.status = dto::detail::enum_from_name<OrderStatus>(*status);
  return f;
}

}  // namespace

void mount_order_routes(http::Router& r, std::shared_ptr<Service> svc) {
  r.post("/api/v1/orders",
         [svc](http::Request& req) -> awaitable<http::Response> {
           const auth::Principal& p = user_principal(req);
           PlaceRequest in{p.subject, req.json<PlaceOrder>(), idempotency_key(req),
                           req.trace().traceparent(), std::nullopt};
           Placed placed = co_await place_order(*svc, std::move(in));
           http::Response resp = http::Response::of(placed.order, 201);
           resp.set_header("Location", "/api/v1/orders/" + std::to_string(placed.order.id));
           if (placed.replayed) resp.set_header("Idempotent-Replayed", "true");
           co_return resp;
         })
      .summary("Place an order")
      .description(
          "For the caller. Prices and the total come from the catalog; the stock of every line "
          "is reserved in one transaction, or nothing is. With an Idempotency-Key, a retry "
          "returns the order the key made (with Idempotent-Replayed: true) instead of a second "
          "one; the same key with other lines is a 422.")
      .header("Idempotency-Key", "Any unique string per order attempt (a UUID), 1-255 chars")
      .auth(http::AuthRequirement::authenticated())
      .body<PlaceOrder>()
      .returns<Order>(201, "Placed (or replayed)")
      .returns(403, "A service token: orders belong to users")
      .returns(409, "Not enough stock for a line; nothing was ordered");

  r.get("/api/v1/orders",
        [svc](http::Request& req) -> awaitable<http::Response> {
          const auth::Principal* p = auth::principal(req);
          OrderFilter f = read_filter(req, *svc);
          if (!is_staff(p)) {
            if (f.user_id && *f.user_id != p->subject) {
              throw errors::forbidden("Only staff may list other users' orders.");
            }
            f.user_id = p->subject;
          }
          OrderPage page = co_await list_orders(*svc->db, std::move(f));
          co_return http::Response::of(page);
        })
      .summary("List orders")
      .description("Your own orders, newest first; staff see everyone's and may filter by user.")
      .query("limit", http::ParamType::integer, "Page size (default 20, at most 100)")
      .query("offset", http::ParamType::integer, "Orders to skip (default 0)")
      .query("status", http::ParamType::string,
             "Only orders in this status: pending, paid, shipped, delivered or cancelled")
      .query("user_id", http::ParamType::string, "Staff only: the orders of this user")
      .auth(http::AuthRequirement::authenticated())
      .returns<OrderPage>(200, "A page of orders")
      .returns(403, "user_id of someone else, and you are not staff");

  r.get(kOrder,
        [svc](http::Request& req) -> awaitable<http::Response> {
          const std::int64_t id = req.param_int("id");
          const auth::Principal* p = auth::principal(req);
          auto o = co_await find_order(*svc->db, id);
          // Someone else's order is "not found": its existence is not yours to know.
          if (!o || (!is_staff(p) && o->user_id != p->subject)) {
            throw errors::not_found("No order " + std::to_string(id) + ".");
          }
          co_return http::Response::of(*o);
        })
      .summary("Read an order")
      .auth(http::AuthRequirement::authenticated())
      .returns<Order>(200, "The order")
      .returns(404, "No such order of yours");

  r.post(kOrder + std::string("/cancel"),
         [svc](http::Request& req) -> awaitable<http::Response> {
           const auth::Principal* p = auth::principal(req);
           auto body = req.body().empty() ? CancelOrder{} : req.json<CancelOrder>();
           Transition t;
           t.order_id = req.param_int("id");
           t.to = OrderStatus::cancelled;
           t.reason = body.reason;
           if (!is_staff(p)) t.only_user = p->subject;
           t.traceparent = req.trace().traceparent();
           Order o = co_await transition_order(*svc, std::move(t));
           co_return http::Response::of(o);
         })
      .summary("Cancel an order")
      .description("Yours (or any, for staff) while it is pending or paid; its stock returns.")
      .auth(http::AuthRequirement::authenticated())
      .body<CancelOrder>()
      .returns<Order>(200, "Cancelled")
      .returns(404, "No such order of yours")
      .returns(409, "Shipped or delivered orders cannot be cancelled");

  r.post(kOrder + std::string("/status"),
         [svc](http::Request& req) -> awaitable<http::Response> {
           auto body = req.json<StatusChange>();
           Transition t;
           t.order_id = req.param_int("id");
           t.to = body.status;
           t.reason = body.reason;
           t.traceparent = req.trace().traceparent();
           Order o = co_await transition_order(*svc, std::move(t));
           co_return http::Response::of(o);
         })
      .summary("Move an order to its next status")
      .description(
          "Staff. pending -> paid -> shipped -> delivered; cancelled from pending or "
          "paid. The status it already has is a no-op.")
      .auth(staff_only())
      .body<StatusChange>()
      .returns<Order>(200, "The order after the transition")
      .returns(404, "No such order")
      .returns(409, "Not allowed from the order's current status");
}

}  // namespace mmx::backend
