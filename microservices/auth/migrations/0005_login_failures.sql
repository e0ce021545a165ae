-- Consecutive failed sign-ins per normalised email (registered or not, so lockouts reveal
-- nothing), and until when the account is locked (Unix seconds).
CREATE TABLE login_failures (
  email_key TEXT PRIMARY KEY,
  failures BIGINT NOT NULL,
  last_failure BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0
);
