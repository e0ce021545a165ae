-- Ids come from a real sequence on PostgreSQL; the table keeps the two dialects' SQL alike.
CREATE TABLE product_ids (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, taken_at TEXT);
