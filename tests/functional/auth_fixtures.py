"""Fixtures and helpers for the auth service's functional tests (test_auth_*.py).

The real `micromax` binary runs with --target=auth on a fixed free loopback port (the
issuer is http://127.0.0.1:PORT, so the port must be known before start), with a cheap
Argon2id cost so the suite is fast, on SQLite or on the harness's real PostgreSQL.
PyJWT checks our tokens using nothing but the JWKS document; forged tokens are signed
with the service's own key, read from its database and decrypted here (AES-256-GCM, the
format of microservices/auth/src/key_crypto.hpp), so a test can make any claim valid.
"""
import base64
import email
import functools
import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import BIN_DIR, ROOT as ROOT_DIR, Server, wait_for  # noqa: F401

from servers import free_port

ADMIN_EMAIL = "root@example.com"
ADMIN_PASSWORD = "Correct-Horse-Battery-9"
KEY_SECRET = "functional-tests-key-encryption-secret"
AUDIENCE = "micromax"
# Cheap enough for many sign-ins per test; one test runs the default (OWASP) cost.
FAST_ARGON2 = {"MMX_AUTH_ARGON2_MEMORY": "64KiB", "MMX_AUTH_ARGON2_ITERATIONS": "1"}


def auth_env(**extra):
    env = {
        "MMX_TARGET": "auth",
        "MMX_AUTH_RATE_LIMIT": "0",
        "MMX_AUTH_KEY_ACTIVATION_DELAY": "0s",
        "MMX_AUTH_KEY_ENCRYPTION_KEY": KEY_SECRET,
        "MMX_AUTH_JWKS_REFRESH_MIN_INTERVAL": "0s",
        "MMX_FIRST_SUPERUSER": ADMIN_EMAIL,
        "MMX_FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        **FAST_ARGON2,
    }
    env.update(extra)
    return env


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class AuthServer(Server):
    """A micromax process running the auth service, with client helpers."""

    def __init__(self, env=None, data_dir=None, port=None):
        self.fixed_port = port or free_port()
        super().__init__("micromax", auth_env(**(env or {})),
                         ["--listen", f"127.0.0.1:{self.fixed_port}"])
        if data_dir:
            self.env["MMX_DATA_DIR"] = self.data_dir = str(data_dir)

    @property
    def issuer(self):
        return self.env.get("MMX_AUTH_ISSUER", f"http://127.0.0.1:{self.fixed_port}")

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.request(method, self.url + path, **kw)

    patch = functools.partialmethod(request, "PATCH")
    put = functools.partialmethod(request, "PUT")
    delete = functools.partialmethod(request, "DELETE")

    # --- tokens -----------------------------------------------------------------------

    def token(self, **form):
        return self.post("/auth/token", data=form)

    def login(self, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, **form):
        r = self.token(grant_type="password", username=email, password=password, **form)
        assert r.status_code == 200, r.text
        return r.json()

    def admin(self):
        return bearer(self.login()["access_token"])

    def jwks(self):
        r = self.get("/.well-known/jwks.json")
        assert r.status_code == 200, r.text
        return r.json()

    def verify(self, token, **options):
        """PyJWT, with nothing but our JWKS document: the independent check."""
        header = jwt.get_unverified_header(token)
        keys = {k["kid"]: k for k in self.jwks()["keys"]}
        assert header["kid"] in keys, f"kid {header['kid']} not in the JWKS"
        key = jwt.PyJWK(keys[header["kid"]]).key
        return jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE,
                          issuer=self.issuer, **options)

    # --- users and clients ------------------------------------------------------------

    def create_user(self, email=None, password="Passw0rd-for-tests", roles=("customer",),
                    full_name="Test User", admin=None):
        email = email or f"user-{secrets.token_hex(4)}@example.com"
        r = self.post("/auth/admin/users", headers=admin or self.admin(),
                      json={"email": email, "password": password, "full_name": full_name,
                            "roles": list(roles)})
        assert r.status_code == 201, r.text
        return {**r.json(), "password": password}

    def create_client(self, grant_types=("client_credentials",), scopes=("orders:read",),
                      roles=(), admin=None, **extra):
        r = self.post("/auth/admin/clients", headers=admin or self.admin(),
                      json={"name": "test client", "grant_types": list(grant_types),
                            "scopes": list(scopes), "roles": list(roles), **extra})
        assert r.status_code == 201, r.text
        return r.json()

    # --- the database behind it (SQLite) ----------------------------------------------

    def db(self):
        return sqlite3.connect(Path(self.data_dir) / "auth.db")

    def query(self, sql, *args):
        with self.db() as c:
            return c.execute(sql, args).fetchall()

    def signing_keys(self):
        """{kid: private PEM}, decrypted from the database."""
        rows = self.query("SELECT kid, private_pem FROM signing_keys")
        return {kid: open_sealed(sealed, kid) for kid, sealed in rows}

    def current_key(self):
        header = jwt.get_unverified_header(self.login()["access_token"])
        return header["kid"], self.signing_keys()[header["kid"]]

    def secret_leaks(self, *secret_values):
        """Log lines that contain any of the given secrets."""
        lines = self.raw_lines()
        return [l for l in lines for s in secret_values if s and s in l]


def open_sealed(sealed, kid, secret=KEY_SECRET):
    assert sealed.startswith("v1:"), "private keys are stored sealed"
    raw = base64.urlsafe_b64decode(sealed[3:] + "=" * (-len(sealed[3:]) % 4))
    key = hashlib.sha256(b"mmx-auth/signing-key-encryption/v1:" + secret.encode()).digest()
    return AESGCM(key).decrypt(raw[:12], raw[12:], kid.encode())


def b64url(data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(private_pem, kid, claims, **headers):
    return jwt.encode(claims, private_pem, algorithm="RS256", headers={"kid": kid, **headers})


def unsigned(header, claims, signature=b""):
    return f"{b64url(header)}.{b64url(claims)}.{b64url(signature)}"


def hs256(header, claims, secret):
    signing_input = f"{b64url(header)}.{b64url(claims)}".encode()
    sig = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(sig)}"


def valid_claims(server, subject, **over):
    now = int(time.time())
    claims = {"iss": server.issuer, "sub": subject, "aud": AUDIENCE, "iat": now, "nbf": now,
              "exp": now + 300, "jti": secrets.token_hex(8), "scope": "openid", "roles": ["admin"]}
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def new_pg_url(postgres):
    name = "auth_" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    postgres.init_service_databases({name: password})
    return postgres.service_url(name, password)


def backend_env(request, backend):
    if backend == "postgresql":
        return {"MMX_AUTH_DATABASE_URL": new_pg_url(request.getfixturevalue("postgres"))}
    return {}


def serve(server):
    """Starts the server, yields it, stops it and checks it exited cleanly."""
    server.start()
    yield server
    server.stop()
    server.assert_clean_exit()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def auth(request):
    """One auth server per backend, shared by a module's tests (they make their own users)."""
    s = AuthServer(env=backend_env(request, request.param))
    s.backend = request.param
    yield from serve(s)


@pytest.fixture(scope="module")
def auth_sqlite():
    s = AuthServer()
    s.backend = "sqlite"
    yield from serve(s)


@pytest.fixture
def make_auth(make_server):
    """Factory: make_auth(env={...}, data_dir=..., port=...) -> a started AuthServer."""
    return lambda env=None, data_dir=None, port=None: make_server(
        server=AuthServer(env=env, data_dir=data_dir, port=port))


class SmtpSink:
    """aiosmtpd on a free loopback port, collecting every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.messages = []
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink._lock:
                    sink.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, rcpt, timeout=10):
        def find():
            with self._lock:
                for tos, msg in self.messages:
                    if rcpt in tos:
                        return msg
            return None
        return wait_for(find, timeout=timeout, what=f"an email to {rcpt}")

    def count(self, rcpt):
        with self._lock:
            return sum(1 for tos, _ in self.messages if rcpt in tos)

    def stop(self):
        self.controller.stop()


@pytest.fixture(scope="module")
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.stop()


def run_micromax(args, env, timeout=60):
    """Runs the binary to completion (commands, start-up failures)."""
    import subprocess
    base = {"PATH": "/usr/bin:/bin", "MMX_LOG_FORMAT": "json"}
    base.update(env)
    return subprocess.run([str(BIN_DIR / "micromax"), *args], env=base, capture_output=True,
                          text=True, timeout=timeout)
