-- What the testbed's own consumer did with catalogue events (one row per effect).
CREATE TABLE seen_events (
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  sku TEXT NOT NULL
);
