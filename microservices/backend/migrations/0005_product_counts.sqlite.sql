-- How many products there are, and how many are active, kept by triggers in the same
-- transaction as every insert, delete and change of `active`. The first page of an
-- unfiltered list needs the total, and counting it (even over products_active) cost a
-- quarter of the request; this single row answers it. Exact across processes and replicas:
-- the database maintains it, not a cache. Stock movements do not touch it.
CREATE TABLE product_counts (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  total BIGINT NOT NULL,
  active BIGINT NOT NULL
);
INSERT INTO product_counts (id, total, active)
  SELECT 1, COUNT(*), COALESCE(SUM(CASE WHEN active THEN 1 ELSE 0 END), 0) FROM products;

CREATE TRIGGER product_counts_insert AFTER INSERT ON products
BEGIN
  UPDATE product_counts SET total = total + 1,
    active = active + (CASE WHEN NEW.active THEN 1 ELSE 0 END) WHERE id = 1;
END;

CREATE TRIGGER product_counts_delete AFTER DELETE ON products
BEGIN
  UPDATE product_counts SET total = total - 1,
    active = active - (CASE WHEN OLD.active THEN 1 ELSE 0 END) WHERE id = 1;
END;

CREATE TRIGGER product_counts_active AFTER UPDATE OF active ON products
  WHEN OLD.active IS NOT NEW.active
BEGIN
  UPDATE product_counts SET
    active = active + (CASE WHEN NEW.active THEN 1 ELSE -1 END) WHERE id = 1;
END;
