-- How many products there are, and how many are active, kept by triggers in the same
-- transaction as every insert, delete and change of `active`. The first page of an
-- unfiltered list needs the total, and counting it (even over products_active) cost a
-- quarter of the request; this single row answers it. Exact across processes and replicas:
-- the database maintains it, not a cache. Stock movements do not touch it (orders never
-- wait for this row); concurrent catalog writes queue on it, which staff edits and imports
-- (one transaction) can afford.
CREATE TABLE product_counts (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  total BIGINT NOT NULL,
  active BIGINT NOT NULL
);
INSERT INTO product_counts (id, total, active)
  SELECT 1, COUNT(*), COUNT(*) FILTER (WHERE active) FROM products;

CREATE FUNCTION product_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE product_counts SET total = total + 1,
      active = active + (CASE WHEN NEW.active THEN 1 ELSE 0 END) WHERE id = 1;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE product_counts SET total = total - 1,
      active = active - (CASE WHEN OLD.active THEN 1 ELSE 0 END) WHERE id = 1;
  ELSE
    UPDATE product_counts SET
      active = active + (CASE WHEN NEW.active THEN 1 ELSE -1 END) WHERE id = 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER product_counts_insert_delete AFTER INSERT OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION product_counts_change();
CREATE TRIGGER product_counts_active AFTER UPDATE OF active ON products
  FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active)
  EXECUTE FUNCTION product_counts_change();
