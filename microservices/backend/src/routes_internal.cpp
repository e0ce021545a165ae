// The private API (/internal/v1): for other services only (a client-credentials token with
// the backend:internal scope, or MMX_BACKEND_API_KEY), never routed by the public ingress.
#include "access.hpp"
#include "catalog.hpp"
#include "mmx/errors/http_error.hpp"
#include "orders.hpp"
#include "routes.hpp"

namespace mmx::backend {

void mount_internal_routes(http::Router& r, std::shared_ptr<Service> svc) {
  r.put("/internal/v1/products",
        [svc](http::Request& req) -> awaitable<http::Response> {
          auto in = req.json<BulkUpsert>();
          std::string traceparent = req.trace().traceparent();
          BulkUpsertResult out =
              co_await upsert_products(*svc, std::move(in.products), std::move(traceparent));
          co_return http::Response::of(out);
        })
      .summary("Create or update products by sku, all or nothing")
      .description(
          "For the catalog import. Up to MMX_BACKEND_BULK_MAX (10,000) products per call, "
          "matched by sku: new ones are created, changed ones updated (version + 1, "
          "product.updated), identical ones left alone. Any invalid row fails the whole call "
          "with a 422 naming every bad field as /products/N/...; nothing is written.")
      .auth(internal_only())
      .body_limit(svc->settings.import_body_limit)
      .body<BulkUpsert>()
      .returns<BulkUpsertResult>(200, "Every row's outcome, in input order")
      .returns(409, "A product changed or was created concurrently; nothing was written")
      .returns(413, "The body exceeds MMX_BACKEND_BULK_BODY_LIMIT");

  r.post("/internal/v1/orders/{id:int}/status",
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
      .summary("Move an order to its next status (payment, fulfilment)")
      .description(
          "pending -> paid -> shipped -> delivered; cancelled from pending or paid, "
          "restocking. The status it already has is a no-op, so a retried callback "
          "is safe.")
      .auth(internal_only())
      .body<StatusChange>()
      .returns<Order>(200, "The order after the transition")
      .returns(404, "No such order")
      .returns(409, "Not allowed from the order's current status");

  r.get("/internal/v1/counts",
        [svc](http::Request&) -> awaitable<http::Response> {
          Counts c = co_await count_all(*svc->db);
          co_return http::Response::of(c);
        })
      .summary("Catalog and order counts")
      .auth(internal_only())
      .returns<Counts>(200, "The counts");
}

}  // namespace mmx::backend
