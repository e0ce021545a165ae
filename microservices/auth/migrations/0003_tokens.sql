-- Refresh tokens (SHA-256 only; the token itself is never stored). A family is one sign-in:
-- each refresh rotates the token inside it, and presenting a rotated one revokes it all.
-- Times used in comparisons are Unix seconds (BIGINT), alike on both dialects.
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL,
  user_id TEXT,
  client_id TEXT,
  scope TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  rotated BOOLEAN NOT NULL DEFAULT FALSE,
  revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

-- Access tokens revoked before their exp (RFC 7009), for introspection and our own routes.
CREATE TABLE revoked_tokens (
  jti TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);

-- Password-recovery tokens: hash only, single use, short-lived.
CREATE TABLE recovery_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  used BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX recovery_tokens_user ON recovery_tokens (user_id);
