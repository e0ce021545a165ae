"""Fixtures and helpers for the backend service's functional tests (test_backend_*.py).

The real `micromax` runs --target auth,backend (the backend verifies the tokens that the auth
service in the same process issues, through its JWKS, exactly as in a split deployment), on
SQLite or on the harness's real PostgreSQL. Every /api and /internal response goes through
`ContractClient`, so it is checked against shared/contracts/backend.openapi.json as well.
"""
import secrets
import sqlite3
from pathlib import Path

import pytest

from auth_fixtures import AuthServer, bearer, new_pg_url, serve
from contract import ContractClient

INTERNAL_SCOPE = "backend:internal"


class BackendServer(AuthServer):
    """micromax --target auth,backend, with helpers for tokens and catalog data."""

    def __init__(self, env=None, data_dir=None, port=None):
        super().__init__(env={"MMX_TARGET": "auth,backend", **(env or {})}, data_dir=data_dir,
                         port=port)
        self._tokens = {}

    def start(self):
        super().start()
        self.api = ContractClient(self.url, "backend")
        return self

    # --- who is calling ----------------------------------------------------------------

    def user_token(self, roles=("customer",), key=None):
        """A fresh user's access token (cached per key)."""
        key = key or roles
        if key not in self._tokens:
            u = self.create_user(roles=roles)
            tok = self.login(u["email"], u["password"])["access_token"]
            self._tokens[key] = (tok, u)
        return self._tokens[key][0]

    def user_of(self, key):
        return self._tokens[key][1]

    def staff(self):
        return bearer(self.user_token(("staff",)))

    def customer(self, name="customer"):
        return bearer(self.user_token(("customer",), key=name))

    def service(self, scopes=(INTERNAL_SCOPE,)):
        c = self.create_client(scopes=scopes)
        r = self.token(grant_type="client_credentials", client_id=c["client_id"],
                       client_secret=c["client_secret"], scope=" ".join(scopes))
        assert r.status_code == 200, r.text
        return bearer(r.json()["access_token"])

    # --- catalog -----------------------------------------------------------------------

    def new_product(self, **over):
        body = {"sku": f"T-{secrets.token_hex(5)}", "name": "Test product", "description": "",
                "price_cents": 1999, "currency": "EUR", "stock": 10, "category": "tests",
                "active": True}
        body.update(over)
        r = self.api.post("/api/v1/products", json=body, headers=self.staff())
        assert r.status_code == 201, r.text
        return r.json()

    def product(self, pid, headers=None):
        r = self.api.get(f"/api/v1/products/{pid}", headers=headers or self.staff())
        assert r.status_code == 200, r.text
        return r.json()

    def order(self, lines, headers=None, **kw):
        return self.api.post("/api/v1/orders", json={"lines": lines},
                             headers={**(headers or self.customer()), **kw.pop("extra", {})}, **kw)

    # --- the database behind it (SQLite) -------------------------------------------------

    def backend_query(self, sql, *args):
        with sqlite3.connect(Path(self.data_dir) / "backend.db") as c:
            return c.execute(sql, args).fetchall()


def backend_env(request, backend):
    if backend == "postgresql":
        pg = request.getfixturevalue("postgres")
        return {"MMX_AUTH_DATABASE_URL": new_pg_url(pg), "MMX_BACKEND_DATABASE_URL": new_pg_url(pg)}
    return {}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request):
    """One auth+backend server per database, shared by a module's tests (they make their own
    products and users)."""
    s = BackendServer(env=backend_env(request, request.param))
    s.backend = request.param
    yield from serve(s)


@pytest.fixture(scope="module")
def backend_sqlite():
    s = BackendServer()
    s.backend = "sqlite"
    yield from serve(s)


@pytest.fixture
def make_backend(make_server):
    """Factory: make_backend(env={...}) -> a started BackendServer, stopped after the test."""
    return lambda env=None, data_dir=None, port=None: make_server(
        server=BackendServer(env=env, data_dir=data_dir, port=port))
