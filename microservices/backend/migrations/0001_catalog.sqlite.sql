-- The catalog. AUTOINCREMENT: an id is never reused after a delete, because events and
-- order lines keep referring to it. Times are RFC 3339 text, as the db layer writes them.
-- `version` grows by one with every change (staff edits, imports, stock movements): it is
-- the ETag, the If-Match precondition and the order of product.* events.
CREATE TABLE products (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
  currency TEXT NOT NULL,
  stock BIGINT NOT NULL CHECK (stock >= 0),
  category TEXT NOT NULL DEFAULT '',
  active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);
-- Filters and sorts of GET /api/v1/products; id breaks ties so pages are stable.
CREATE INDEX products_category ON products (category, id);
CREATE INDEX products_price ON products (price_cents, id);
CREATE INDEX products_name ON products (name, id);
CREATE INDEX products_created ON products (created_at, id);
