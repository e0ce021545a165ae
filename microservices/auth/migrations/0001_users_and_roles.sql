-- Users, the roles they hold and the scopes each role grants. Emails are unique
-- case-insensitively through email_key (the address lower-cased), which works alike on
-- SQLite and PostgreSQL; `email` keeps the spelling the user chose.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  email_key TEXT NOT NULL UNIQUE,
  full_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE roles (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE role_scopes (
  role TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  PRIMARY KEY (role, scope)
);

CREATE TABLE user_roles (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role TEXT NOT NULL REFERENCES roles (name),
  PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);

INSERT INTO roles (name, description) VALUES
  ('customer', 'Shops: browses the catalogue, places and follows their own orders'),
  ('staff', 'Runs the shop: manages the catalogue and all orders, reads users'),
  ('admin', 'Everything, including users, roles, service clients, keys and the audit trail');

INSERT INTO role_scopes (role, scope) VALUES
  ('customer', 'openid'), ('customer', 'profile'), ('customer', 'email'),
  ('customer', 'catalog:read'), ('customer', 'orders:read'), ('customer', 'orders:write'),
  ('staff', 'openid'), ('staff', 'profile'), ('staff', 'email'),
  ('staff', 'catalog:read'), ('staff', 'catalog:write'), ('staff', 'orders:read'),
  ('staff', 'orders:write'), ('staff', 'orders:manage'), ('staff', 'users:read'),
  ('staff', 'pipelines:read'), ('staff', 'dashboards:read'),
  ('admin', 'openid'), ('admin', 'profile'), ('admin', 'email'),
  ('admin', 'catalog:read'), ('admin', 'catalog:write'), ('admin', 'orders:read'),
  ('admin', 'orders:write'), ('admin', 'orders:manage'), ('admin', 'users:read'),
  ('admin', 'users:write'), ('admin', 'pipelines:read'), ('admin', 'pipelines:write'),
  ('admin', 'dashboards:read'), ('admin', 'audit:read'), ('admin', 'admin');
