#pragma once
// Catalog changes as whole units of work: the row, its event in the outbox (same
// transaction), then the cache invalidated with the new version before the caller answers,
// so a read after a write never sees the old product.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models.hpp"
#include "service.hpp"

namespace mmx::backend {

// Cache-through read. nullopt: no such product.
struct ProductRead {
  std::int64_t version = 0;
  bool active = true;
  std::string json;
};
awaitable<std::optional<ProductRead>> read_product(Service& svc, std::int64_t id);

// 422 for rules beyond the DTO's, 409 for a taken sku.
awaitable<Product> create_product(Service& svc, ProductInput in, std::string traceparent);

// Applies `change` to the current product under the If-Match precondition (428/412), 404
// when it is gone, 409 for a taken sku. A change that changes nothing writes nothing.
using ProductChange = std::function<ProductInput(const Product& current)>;
awaitable<Product> change_product(Service& svc, std::int64_t id, ProductChange change,
                                  std::optional<std::string> if_match, std::string traceparent);

awaitable<void> remove_product(Service& svc, std::int64_t id, std::optional<std::string> if_match,
                               std::string traceparent);

// All-or-nothing upsert by sku: every row is validated first (422 listing every bad row's
// fields as /products/N/...), then one transaction creates or updates them.
// `at`: the time written (the seed backdates its catalog); default now.
awaitable<BulkUpsertResult> upsert_products(Service& svc, std::vector<ProductInput> rows,
                                            std::string traceparent,
                                            std::optional<dto::TimePoint> at = std::nullopt);

// Stock moved by an order: cached copies of these products are stale now.
awaitable<void> invalidate_products(Service& svc,
                                    std::vector<std::pair<std::int64_t, std::int64_t>> versions);

ProductInput input_of(const Product& p);

}  // namespace mmx::backend
