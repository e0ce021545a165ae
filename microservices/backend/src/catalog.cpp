#include "catalog.hpp"

#include <map>

#include "etag.hpp"
#include "events.hpp"
#include "mmx/errors/http_error.hpp"
#include "products.hpp"

namespace mmx::backend {

namespace asio = boost::asio;

namespace {

errors::HttpError sku_taken(const std::string& sku) {
  return errors::conflict("A product with SKU " + sku + " exists already.");
}

bool is_unique_violation(const db::DbError& e) {
  return e.kind() == db::ErrorKind::unique_violation;
}

}  // namespace

ProductInput input_of(const Product& p) {
  return {p.sku, p.name, p.description, p.price_cents, p.currency, p.stock, p.category, p.active};
}

awaitable<std::optional<ProductRead>> read_product(Service& svc, std::int64_t id) {
  if (svc.cache) {
    auto hit = co_await svc.cache->get(id);
    if (hit) co_return ProductRead{hit->version, hit->active, std::move(hit->json)};
  }
  auto p = co_await find_product(*svc.db, id);
  if (!p) co_return std::nullopt;
  ProductRead out{p->version, p->active, dto::serialize(*p)};
  if (svc.cache) co_await svc.cache->put(*p, out.json);
  co_return out;
}

awaitable<Product> create_product(Service& svc, ProductInput in, std::string traceparent) {
  Product created;
  bool taken = false;
  try {
    co_await svc.db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
      created = co_await insert_product(tx, in, std::chrono::system_clock::now());
      co_await emit_product(svc, tx, models::event_types::product_created, created, traceparent);
    });
  } catch (const db::DbError& e) {
    if (!is_unique_violation(e)) throw;
    taken = true;
  }
  if (taken) throw sku_taken(in.sku);
  co_return created;
}

awaitable<Product> change_product(Service& svc, std::int64_t id, ProductChange change,
                                  std::optional<std::string> if_match, std::string traceparent) {
  Product result;
  bool changed = false, taken = false;
  std::string wanted_sku;
  try {
    co_await svc.db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
      auto current = co_await find_product(tx, id);
      if (!current) throw errors::not_found("No product " + std::to_string(id) + ".");
      require_if_match(if_match, current->version, "product");
      ProductInput in = change(*current);
      wanted_sku = in.sku;
      result = *current;
      changed = !same_content(*current, in);
      if (!changed) co_return;
      assign(result, in);
      result.version = current->version + 1;
      result.updated_at = std::chrono::system_clock::now();
      const bool stored = co_await store_product(tx, result);
      if (!stored) {
        // Changed between our read and our write (another replica, an order's stock move).
        throw std::move(errors::precondition_failed(
                            "The product changed while this request was applied; read it "
                            "again and reapply your change.")
                            .with_header("ETag", etag(current->version + 1)));
      }
      co_await emit_product(svc, tx, models::event_types::product_updated, result, traceparent);
    });
  } catch (const db::DbError& e) {
    if (!is_unique_violation(e)) throw;
    taken = true;
  }
  if (taken) throw sku_taken(wanted_sku);
  if (changed && svc.cache) co_await svc.cache->invalidate(id, result.version);
  co_return result;
}

awaitable<void> remove_product(Service& svc, std::int64_t id, std::optional<std::string> if_match,
                               std::string traceparent) {
  std::int64_t deleted_version = 0;
  co_await svc.db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
    auto current = co_await find_product(tx, id);
    if (!current) throw errors::not_found("No product " + std::to_string(id) + ".");
    require_if_match(if_match, current->version, "product");
    const bool deleted = co_await delete_product(tx, id, current->version);
    if (!deleted) {
      throw errors::precondition_failed(
          "The product changed while this request was applied; read it again.");
    }
    deleted_version = current->version + 1;
    co_await emit_product_deleted(svc, tx, *current, deleted_version,
                                  std::chrono::system_clock::now(), traceparent);
  });
  if (svc.cache) co_await svc.cache->invalidate(id, deleted_version);
}

awaitable<BulkUpsertResult> upsert_products(Service& svc, std::vector<ProductInput> rows,
                                            std::string traceparent,
                                            std::optional<dto::TimePoint> at) {
  std::vector<dto::FieldError> errors;
  if (static_cast<std::int64_t>(rows.size()) > svc.settings.bulk_max) {
    errors.push_back({"/products", "must hold at most " + std::to_string(svc.settings.bulk_max) +
                                       " products (MMX_BACKEND_BULK_MAX)"});
  }
  std::map<std::string, std::size_t> first_row;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string row = "/products/" + std::to_string(i);
    auto [it, fresh] = first_row.emplace(rows[i].sku, i);
    if (!fresh) {
      errors.push_back(
          {row + "/sku", "repeats the sku of /products/" + std::to_string(it->second)});
    }
  }
  if (!errors.empty()) throw errors::unprocessable(std::move(errors));

  BulkUpsertResult out;
  std::vector<std::pair<std::int64_t, std::int64_t>> touched;
  bool taken = false;
  try {
    co_await svc.db->transaction([&](db::Transaction& tx) -> asio::awaitable<void> {
      out = {};
      touched.clear();
      const dto::TimePoint now = at.value_or(std::chrono::system_clock::now());
      for (const ProductInput& in : rows) {
        auto current = co_await find_product_by_sku(tx, in.sku);
        UpsertResult r{in.sku, 0, "unchanged", 1};
        if (!current) {
          Product p = co_await insert_product(tx, in, now);
          co_await emit_product(svc, tx, models::event_types::product_created, p, traceparent);
          r = {p.sku, p.id, "created", p.version};
          ++out.created;
        } else if (same_content(*current, in)) {
          r = {current->sku, current->id, "unchanged", current->version};
          ++out.unchanged;
        } else {
          Product p = *current;
          assign(p, in);
          p.version = current->version + 1;
          p.updated_at = now;
          const bool stored = co_await store_product(tx, p);
          if (!stored) {
            throw errors::conflict("Product " + in.sku +
                                   " changed during the import; nothing was written. Retry.");
          }
          co_await emit_product(svc, tx, models::event_types::product_updated, p, traceparent);
          touched.emplace_back(p.id, p.version);
          r = {p.sku, p.id, "updated", p.version};
          ++out.updated;
        }
        out.items.push_back(std::move(r));
      }
    });
  } catch (const db::DbError& e) {
    // Another writer created one of these skus between our lookup and our insert.
    if (!is_unique_violation(e)) throw;
    taken = true;
  }
  if (taken) {
    throw errors::conflict(
        "A product of this import was created concurrently; nothing was "
        "written. Retry.");
  }
  co_await invalidate_products(svc, std::move(touched));
  co_return out;
}

awaitable<void> invalidate_products(Service& svc,
                                    std::vector<std::pair<std::int64_t, std::int64_t>> versions) {
  if (!svc.cache) co_return;
  for (const auto& [id, version] : versions) co_await svc.cache->invalidate(id, version);
}

}  // namespace mmx::backend
