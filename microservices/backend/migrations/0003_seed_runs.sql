-- Demo data runs that completed (`micromax seed`, MMX_DEMO_DATA): a second run finds its
-- row and does nothing.
CREATE TABLE seed_runs (
  name TEXT PRIMARY KEY,
  completed_at TEXT NOT NULL
);
