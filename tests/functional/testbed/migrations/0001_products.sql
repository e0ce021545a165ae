-- The testbed's catalogue: just enough to drive the data layer from the functional tests.
CREATE TABLE products (
  id BIGINT PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
  created_at TEXT NOT NULL
);
