-- OAuth clients (services). Secrets are random 256-bit strings made by the service, so a
-- SHA-256 of them is as good as a slow hash and keeps client_credentials cheap.
-- grant_types and scopes are space-separated, as OAuth writes them.
CREATE TABLE oauth_clients (
  client_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  grant_types TEXT NOT NULL,
  scopes TEXT NOT NULL DEFAULT '',
  roles TEXT NOT NULL DEFAULT '',
  active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
