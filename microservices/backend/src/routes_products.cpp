// The public catalog: GET for anyone (staff also see inactive products), writes for staff
// with If-Match. Reads go through the product cache.
#include "access.hpp"
#include "catalog.hpp"
#include "etag.hpp"
#include "mmx/auth/principal.hpp"
#include "mmx/errors/http_error.hpp"
#include "mmx/http/query_reader.hpp"
#include "products.hpp"
#include "routes.hpp"

namespace mmx::backend {

namespace {

constexpr const char* kProduct = "/api/v1/products/{id:int}";

std::optional<std::string> if_match(const http::Request& req) {
  auto h = req.header("If-Match");
  return h ? std::optional<std::string>(*h) : std::nullopt;
}

http::Response with_etag(http::Response resp, std::int64_t version) {
  resp.set_header("ETag", etag(version));
  return resp;
}

http::Response product_response(const Product& p, int status = 200) {
  http::Response resp = with_etag(http::Response::of(p, status), p.version);
  if (status == 201) resp.set_header("Location", "/api/v1/products/" + std::to_string(p.id));
  return resp;
}

ProductFilter read_filter(const http::Request& req, const Service& svc, bool staff) {
  http::QueryReader q(req);
  ProductFilter f;
  f.limit = q.integer("limit", 1, svc.settings.page_max).value_or(svc.settings.page_default);
  f.offset = q.integer("offset", 0, 1'000'000'000).value_or(0);
  f.category = q.text("category", 100);
  f.min_price = q.integer("min_price", 0, kMaxPriceCents);
  f.max_price = q.integer("max_price", 0, kMaxPriceCents);
  if (f.min_price && f.max_price && *f.min_price > *f.max_price) {
    q.fail("max_price", "must not be below min_price");
  }
  f.text = q.text("q", 200);
  auto active = q.boolean("active");
  auto sort = q.choice("sort", {"id", "-id", "name", "-name", "price", "-price", "created_at",
                                "-created_at", "stock", "-stock"});
  q.finish();
  if (sort) {
    f.descending = sort->front() == '-';
    const std::string key = f.descending ? sort->substr(1) : *sort;
    f.sort = key == "name"         ? ProductSort::name
             : key == "price"      ? ProductSort::price
             : key == "created_at" ? ProductSort::created
             : key == "stock"      ? ProductSort::stock
                                   : ProductSort::id;
  }
  // Only staff see inactive products; for anyone else active=false is simply an empty page.
  f.include_inactive = staff;
  f.active = active;
  return f;
}

}  // namespace

void mount_product_routes(http::Router& r, std::shared_ptr<Service> svc) {
  r.get("/api/v1/products",
        [svc](http::Request& req) -> awaitable<http::Response> {
          const bool staff = is_staff(auth::principal(req));
          ProductFilter f = read_filter(req, *svc, staff);
          ProductPage page = co_await list_products(*svc->db, std::move(f));
          co_return http::Response::of(page);
        })
      .summary("List products")
      .description(
          "Active products for everyone; staff (a token with role staff or admin) also see "
          "inactive ones and may filter on `active`. Pages by limit and offset; `total` counts "
          "every match.")
      .query("limit", http::ParamType::integer, "Page size (default 20, at most 100)")
      .query("offset", http::ParamType::integer, "Products to skip (default 0)")
      .query("category", http::ParamType::string, "Only this category")
      .query("min_price", http::ParamType::integer, "Lowest price_cents, inclusive")
      .query("max_price", http::ParamType::integer, "Highest price_cents, inclusive")
      .query("q", http::ParamType::string, "Text in the name or description (case-insensitive)")
      .query("active", http::ParamType::boolean, "Staff only: active (true) or inactive (false)")
      .query("sort", http::ParamType::string,
             "id, name, price, created_at or stock; a leading '-' sorts descending (default id)")
      .auth(http::AuthRequirement::optional())
      .returns<ProductPage>(200, "A page of products");

  r.get(kProduct,
        [svc](http::Request& req) -> awaitable<http::Response> {
          const std::int64_t id = req.param_int("id");
          auto p = co_await read_product(*svc, id);
          if (!p || (!p->active && !is_staff(auth::principal(req)))) {
            throw errors::not_found("No product " + std::to_string(id) + ".");
          }
          const std::string tag = etag(p->version);
          if (auto inm = req.header("If-None-Match"); inm && none_match_hits(*inm, tag)) {
            http::Response nm = http::Response::empty(304);
            nm.set_header("ETag", tag);
            co_return nm;
          }
          http::Response resp = http::Response::json(std::move(p->json));
          resp.set_header("ETag", tag);
          co_return resp;
        })
      .summary("Read a product")
      .description("With If-None-Match holding its current ETag: 304 and no body.")
      .header("If-None-Match", "ETag(s) of a copy you hold")
      .auth(http::AuthRequirement::optional())
      .returns<Product>(200, "The product, with its ETag")
      .returns(304, "Not modified: your copy is current")
      .returns(404, "No such product (or inactive, and you are not staff)");

  r.post("/api/v1/products",
         [svc](http::Request& req) -> awaitable<http::Response> {
           auto in = req.json<ProductInput>();
           std::string traceparent = req.trace().traceparent();
           Product p = co_await create_product(*svc, std::move(in), std::move(traceparent));
           co_return product_response(p, 201);
         })
      .summary("Create a product")
      .auth(staff_only())
      .body<ProductInput>()
      .returns<Product>(201, "Created, with its ETag and Location")
      .returns(409, "The sku is taken");

  r.put(kProduct,
        [svc](http::Request& req) -> awaitable<http::Response> {
          auto in = req.json<ProductInput>();
          // Named locals of the exact parameter types: g++ 12 destroys a converted
          // temporary of a co_await'ed call twice when the coroutine throws.
          ProductChange replace = [in](const Product&) { return in; };
          std::optional<std::string> precondition = if_match(req);
          std::string traceparent = req.trace().traceparent();
          Product p = co_await change_product(*svc, req.param_int("id"), std::move(replace),
                                              std::move(precondition), std::move(traceparent));
          co_return product_response(p);
        })
      .summary("Replace a product")
      .header("If-Match", "The product's current ETag", true)
      .auth(staff_only())
      .body<ProductInput>()
      .returns<Product>(200, "Replaced (or unchanged), with the new ETag")
      .returns(404, "No such product")
      .returns(409, "The sku is taken by another product")
      .returns(412, "The product changed since you read it (stale If-Match)")
      .returns(428, "If-Match is missing");

  r.patch(kProduct,
          [svc](http::Request& req) -> awaitable<http::Response> {
            auto patch = req.json<ProductPatch>();
            ProductChange apply = [patch](const Product& current) {
              ProductInput in = input_of(current);
              if (patch.sku) in.sku = *patch.sku;
              if (patch.name) in.name = *patch.name;
              if (patch.description) in.description = *patch.description;
              if (patch.price_cents) in.price_cents = *patch.price_cents;
              if (patch.currency) in.currency = *patch.currency;
              if (patch.stock) in.stock = *patch.stock;
              if (patch.category) in.category = *patch.category;
              if (patch.active) in.active = *patch.active;
              return in;
            };
            std::optional<std::string> precondition = if_match(req);
            std::string traceparent = req.trace().traceparent();
            Product p = co_await change_product(*svc, req.param_int("id"), std::move(apply),
                                                std::move(precondition), std::move(traceparent));
            co_return product_response(p);
          })
      .summary("Change some members of a product")
      .header("If-Match", "The product's current ETag", true)
      .auth(staff_only())
      .body<ProductPatch>()
      .returns<Product>(200, "Changed (or unchanged), with the new ETag")
      .returns(404, "No such product")
      .returns(409, "The sku is taken by another product")
      .returns(412, "The product changed since you read it (stale If-Match)")
      .returns(428, "If-Match is missing");

  r.del(kProduct,
        [svc](http::Request& req) -> awaitable<http::Response> {
          std::optional<std::string> precondition = if_match(req);
          std::string traceparent = req.trace().traceparent();
          co_await remove_product(*svc, req.param_int("id"), std::move(precondition),
                                  std::move(traceparent));
          co_return http::Response::empty(204);
        })
      .summary("Delete a product")
      .description("Orders keep their lines (a snapshot of sku, name and price).")
      .header("If-Match", "The product's current ETag", true)
      .auth(staff_only())
      .returns(204, "Deleted")
      .returns(404, "No such product")
      .returns(412, "The product changed since you read it (stale If-Match)")
      .returns(428, "If-Match is missing");
}

}  // namespace mmx::backend
