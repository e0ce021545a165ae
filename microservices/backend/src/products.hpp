#pragma once
// The products table: reads, filtered pages and writes. Every write sets updated_at and
// bumps version by one, guarded by the version the caller read (optimistic concurrency):
// a write that lost a race changes nothing and reports it.
#include <optional>
#include <string>

#include "models.hpp"
#include "service.hpp"

namespace mmx::backend {

awaitable<std::optional<Product>> find_product(db::Session& s, std::int64_t id);
awaitable<std::optional<Product>> find_product_by_sku(db::Session& s, std::string sku);

enum class ProductSort { id, name, price, created, stock };

struct ProductFilter {
  std::optional<std::string> category;
  std::optional<std::int64_t> min_price, max_price;  // inclusive, minor units
  std::optional<std::string> text;                   // in name or description
  bool include_inactive = false;
  std::optional<bool> active;  // only (in)active ones, within what include_inactive allows
  ProductSort sort = ProductSort::id;
  bool descending = false;
  std::int64_t limit = 20, offset = 0;
};
awaitable<ProductPage> list_products(db::Session& s, ProductFilter f);

// The `total` of a page of `n` rows: known from the page itself when it is a short page
// that is not past the end, else counted with `count_sql` (SELECT COUNT(*) ... WHERE ...).
awaitable<std::int64_t> page_total(db::Session& s, std::int64_t n, std::int64_t limit,
                                   std::int64_t offset, std::string count_sql, db::Params params);

// Inserts with version 1. A taken sku throws db::DbError (unique_violation).
awaitable<Product> insert_product(db::Transaction& tx, const ProductInput& in, dto::TimePoint now);

// Writes every member of `p` (whose version is already the new one) if the row still has
// version p.version - 1. False: the row changed or went away since it was read.
awaitable<bool> store_product(db::Transaction& tx, const Product& p);

// False when no row with that id and version exists.
awaitable<bool> delete_product(db::Transaction& tx, std::int64_t id, std::int64_t version);

// The members of `in` applied to `p` (no version or time change).
void assign(Product& p, const ProductInput& in);
// True when `in` would change nothing in `p`.
bool same_content(const Product& p, const ProductInput& in);

}  // namespace mmx::backend
