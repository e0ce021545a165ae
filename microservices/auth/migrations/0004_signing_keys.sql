-- RS256 signing keys. private_pem is AES-256-GCM sealed (MMX_AUTH_KEY_ENCRYPTION_KEY). A
-- key signs from activates_at until retired_at; the JWKS lists it from insertion until
-- retired_at + the longest access-token lifetime (+ leeway), so tokens it signed verify
-- until they expire.
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  private_pem TEXT NOT NULL,
  created_at TEXT NOT NULL,
  activates_at BIGINT NOT NULL,
  retired_at BIGINT
);
