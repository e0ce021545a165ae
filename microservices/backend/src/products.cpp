#include "products.hpp"

#include "mmx/db/where.hpp"

namespace mmx::backend {

namespace {

constexpr const char* kColumns =
    "id, sku, name, description, price_cents, currency, stock, category, active, created_at, "
    "updated_at, version";

std::string select_where(const char* where) {
  return std::string("SELECT ") + kColumns + " FROM products WHERE " + where;
}

const char* sort_column(ProductSort s) {
  switch (s) {
    case ProductSort::name:
      return "name";
    case ProductSort::price:
      return "price_cents";
    case ProductSort::created:
      return "created_at";
    case ProductSort::stock:
      return "stock";
    default:
      return "id";
  }
}

// LIKE pattern for a substring, with the wildcards of the text itself escaped. Lower-cased
// here and in SQL (ASCII on SQLite; PostgreSQL's lower() also folds other letters).
std::string like_pattern(const std::string& text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  out += '%';
  return out;
}

// The total of a list. Without filters other than visibility by `active`, the counts the
// database keeps by trigger (migration 0005) answer it from one row; anything else counts
// the matching rows. Clears `params` when they are not needed.
std::string count_query(const ProductFilter& f, const db::Where& w, db::Params& params) {
  const bool filtered = f.category || f.min_price || f.max_price || f.text;
  const bool hidden = !f.include_inactive && f.active && !*f.active;  // always empty
  if (filtered || hidden) return "SELECT COUNT(*) FROM products" + w.sql();
  params.clear();
  if (!f.include_inactive || (f.active && *f.active))
    return "SELECT active FROM product_counts WHERE id = 1";
  if (f.active) return "SELECT total - active FROM product_counts WHERE id = 1";
  return "SELECT total FROM product_counts WHERE id = 1";
}

}  // namespace

awaitable<std::optional<Product>> find_product(db::Session& s, std::int64_t id) {
  static const std::string sql = select_where("id = $1");
  return s.fetch_one<Product>(db::Sql::persistent(sql), id);
}

awaitable<std::optional<Product>> find_product_by_sku(db::Session& s, std::string sku) {
  static const std::string sql = select_where("sku = $1");
  return s.fetch_one<Product>(db::Sql::persistent(sql), sku);
}

awaitable<ProductPage> list_products(db::Session& s, ProductFilter f) {
  db::Where w;
  if (!f.include_inactive) w.add("active");
  if (f.active) w.add("active = " + w.bind(*f.active));
  if (f.category) w.add("category = " + w.bind(*f.category));
  if (f.min_price) w.add("price_cents >= " + w.bind(*f.min_price));
  if (f.max_price) w.add("price_cents <= " + w.bind(*f.max_price));
  if (f.text) {
    const std::string p = w.bind(like_pattern(*f.text));
    w.add("(lower(name) LIKE " + p + " ESCAPE '\\' OR lower(description) LIKE " + p +
          " ESCAPE '\\')");
  }
  db::Params count_params = w.params();
  std::string count_sql = count_query(f, w, count_params);
  const char* dir = f.descending ? " DESC" : " ASC";
  std::string sql = std::string("SELECT ") + kColumns + " FROM products" + w.sql() + " ORDER BY " +
                    sort_column(f.sort) + dir + ", id" + dir + " LIMIT " + w.bind(f.limit) +
                    " OFFSET " + w.bind(f.offset);
  ProductPage page;
  page.limit = f.limit;
  page.offset = f.offset;
  page.items = co_await s.fetch_all_params<Product>(std::move(sql), w.take_params());
  page.total = co_await page_total(s, static_cast<std::int64_t>(page.items.size()), f.limit,
                                   f.offset, std::move(count_sql), std::move(count_params));
  co_return page;
}

awaitable<std::int64_t> page_total(db::Session& s, std::int64_t n, std::int64_t limit,
                                   std::int64_t offset, std::string count_sql, db::Params params) {
  if (n < limit && (n > 0 || offset == 0)) co_return offset + n;
  auto total = co_await s.fetch_value_params<std::int64_t>(std::move(count_sql), std::move(params));
  co_return total.value_or(0);
}

void assign(Product& p, const ProductInput& in) {
  p.sku = in.sku;
  p.name = in.name;
  p.description = in.description;
  p.price_cents = in.price_cents;
  p.currency = in.currency;
  p.stock = in.stock;
  p.category = in.category;
  p.active = in.active;
}

bool same_content(const Product& p, const ProductInput& in) {
  return p.sku == in.sku && p.name == in.name && p.description == in.description &&
         p.price_cents == in.price_cents && p.currency == in.currency && p.stock == in.stock &&
         p.category == in.category && p.active == in.active;
}

awaitable<Product> insert_product(db::Transaction& tx, const ProductInput& in, dto::TimePoint now) {
  static const std::string sql =
      "INSERT INTO products (sku, name, description, price_cents, currency, stock, category, "
      "active, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, "
      "1) RETURNING " +
      std::string(kColumns);
  auto row = co_await tx.fetch_one<Product>(db::Sql::persistent(sql), in.sku, in.name,
                                            in.description, in.price_cents, in.currency, in.stock,
                                            in.category, in.active, now);
  co_return std::move(*row);
}

awaitable<bool> store_product(db::Transaction& tx, const Product& p) {
  const std::int64_t n = co_await tx.execute(
      "UPDATE products SET sku = $3, name = $4, description = $5, price_cents = $6, "
      "currency = $7, stock = $8, category = $9, active = $10, updated_at = $11, version = $2 "
      "WHERE id = $1 AND version = $2 - 1",
      p.id, p.version, p.sku, p.name, p.description, p.price_cents, p.currency, p.stock, p.category,
      p.active, p.updated_at);
  co_return n == 1;
}

awaitable<bool> delete_product(db::Transaction& tx, std::int64_t id, std::int64_t version) {
  const std::int64_t n =
      co_await tx.execute("DELETE FROM products WHERE id = $1 AND version = $2", id, version);
  co_return n == 1;
}

}  // namespace mmx::backend
