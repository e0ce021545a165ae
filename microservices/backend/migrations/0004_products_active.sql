-- Anyone but staff lists active products only, and every first page counts them
-- (`SELECT COUNT(*) FROM products WHERE active`): without this index that count read every
-- row of the table, descriptions included (28 µs of a 109 µs request for 500 products);
-- with it, only this index. (active, id) also yields active products in id order.
CREATE INDEX products_active ON products (active, id);
