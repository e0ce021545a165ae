-- Ids come from a sequence table on SQLite (no sequences there).
CREATE TABLE product_ids (id INTEGER PRIMARY KEY AUTOINCREMENT, taken_at TEXT);
