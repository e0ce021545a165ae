"""Bad tokens and bad input against the auth service itself: forged tokens at its protected
routes (userinfo: any valid token; the admin API: role admin), garbage in every form
field, SQL metacharacters in emails. Each is a clear 4xx and changes nothing.
"""
import json
import secrets
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import wait_for
from auth_fixtures import (ADMIN_EMAIL, ADMIN_PASSWORD, b64url, bearer, forge, hs256, unsigned,
                           valid_claims)

PROTECTED = ["/auth/userinfo", "/auth/admin/users"]


@pytest.fixture(scope="module")
def keyed(auth_sqlite):
    """The server, its admin's user id and the current signing key (kid, private PEM)."""
    s = auth_sqlite
    admin_id = s.query("SELECT id FROM users WHERE email_key = ?", ADMIN_EMAIL)[0][0]
    kid, pem = s.current_key()
    return s, admin_id, kid, pem


def assert_invalid_token(s, token, why):
    for path in PROTECTED:
        r = s.get(path, headers=bearer(token))
        assert r.status_code == 401, (why, path, r.status_code, r.text)
        assert r.headers["Content-Type"].startswith("application/problem+json"), why
        challenge = r.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer") and 'error="invalid_token"' in challenge, (why, challenge)


def test_a_forged_token_with_valid_claims_works_so_the_forger_is_sound(keyed):
    s, admin_id, kid, pem = keyed
    token = forge(pem, kid, valid_claims(s, admin_id))
    assert s.get("/auth/userinfo", headers=bearer(token)).status_code == 200
    assert s.get("/auth/admin/users", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("why,over", [
    ("expired", {"exp": int(time.time()) - 120, "iat": int(time.time()) - 600, "nbf": int(time.time()) - 600}),
    ("not yet valid", {"nbf": int(time.time()) + 600}),
    ("issued in the future", {"iat": int(time.time()) + 600}),
    ("wrong audience", {"aud": "someone-else"}),
    ("wrong issuer", {"iss": "http://evil.example"}),
    ("no exp", {"exp": None}),
    ("no sub", {"sub": None}),
])
def test_bad_claims_are_refused(keyed, why, over):
    s, admin_id, kid, pem = keyed
    assert_invalid_token(s, forge(pem, kid, valid_claims(s, admin_id, **over)), why)


def test_tampered_payload_and_signature(keyed):
    s, admin_id, kid, pem = keyed
    token = forge(pem, kid, valid_claims(s, admin_id, roles=["customer"]))
    header, payload, sig = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["roles"] = ["admin"]
    assert_invalid_token(s, f"{header}.{b64url(claims)}.{sig}", "tampered payload")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    assert_invalid_token(s, f"{header}.{payload}.{flipped}", "tampered signature")
    assert_invalid_token(s, f"{header}.{payload}.", "no signature")


def test_alg_none_and_hs256_with_the_public_key(keyed):
    s, admin_id, kid, pem = keyed
    claims = valid_claims(s, admin_id)
    assert_invalid_token(s, unsigned({"alg": "none", "typ": "JWT", "kid": kid}, claims), "alg none")
    assert_invalid_token(s, unsigned({"alg": "None", "kid": kid}, claims), "alg None")
    # HS/RS confusion: an HMAC keyed with the public key a verifier may hold.
    public_pem = serialization.load_pem_private_key(pem, None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert_invalid_token(s, hs256({"alg": "HS256", "typ": "JWT", "kid": kid}, claims, public_pem),
                         "HS256 with the public key")
    jwk = json.dumps(s.jwks()["keys"][0]).encode()
    assert_invalid_token(s, hs256({"alg": "HS256", "kid": kid}, claims, jwk), "HS256 with the JWK")
    assert_invalid_token(s, jwt.encode(claims, pem, algorithm="RS512", headers={"kid": kid}), "RS512")


def test_unknown_kid_and_a_key_of_our_own(keyed):
    s, admin_id, kid, pem = keyed
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    claims = valid_claims(s, admin_id)
    assert_invalid_token(s, forge(other, "no-such-kid", claims), "unknown kid")
    assert_invalid_token(s, forge(other, kid, claims), "right kid, wrong key")
    assert_invalid_token(s, jwt.encode(claims, pem, algorithm="RS256"), "no kid")


def test_malformed_and_oversized_tokens(keyed):
    s, admin_id, kid, pem = keyed
    good = forge(pem, kid, valid_claims(s, admin_id))
    header, payload, sig = good.split(".")
    for why, token in [
        ("header not JSON", f"{b64url(b'not json')}.{payload}.{sig}"),
        ("header not base64url", f"!!!.{payload}.{sig}"),
        ("two parts", f"{header}.{payload}"),
        ("four parts", f"{good}.{sig}"),
        ("payload an array", f"{header}.{b64url([1, 2])}.{sig}"),
        ("garbage", "garbage"),
        ("oversized", forge(pem, kid, valid_claims(s, admin_id, pad="x" * 9000))),
    ]:
        assert_invalid_token(s, token, why)
    r = s.get("/auth/userinfo", headers={"Authorization": "Basic " + b64url(b"a:b")})
    assert r.status_code == 401 and "invalid_token" not in r.headers["WWW-Authenticate"]


def test_a_valid_token_without_the_admin_role_gets_403(keyed):
    s, admin_id, kid, pem = keyed
    user = s.create_user()
    token = s.login(user["email"], user["password"])["access_token"]
    r = s.get("/auth/admin/users", headers=bearer(token))
    assert r.status_code == 403 and "insufficient_scope" in r.headers["WWW-Authenticate"]
    assert s.get("/auth/userinfo", headers=bearer(token)).status_code == 200


def state(s):
    return {t: s.query(f"SELECT count(*) FROM {t}")[0][0]
            for t in ["users", "user_roles", "refresh_tokens", "oauth_clients", "recovery_tokens",
                      "revoked_tokens", "signing_keys"]}


GARBAGE = ["", " ", "%00", "\x00", "\x1b[31m", "\xff\xfe", "' OR '1'='1",
           "a" * 9000, "🙂" * 10, "grant_type=password", "\r\nSet-Cookie: x=1"]


# The fields each grant reads; the others are ignored (RFC 6749 §3.2).
GRANT_FIELDS = {
    "password": ["grant_type", "username", "password", "scope", "client_id", "client_secret",
                 "token_delivery"],
    "refresh_token": ["grant_type", "refresh_token", "scope", "client_id", "client_secret",
                      "token_delivery"],
    "client_credentials": ["grant_type", "scope", "client_id", "client_secret"],
}
OPTIONAL = {"scope", "client_id", "client_secret", "token_delivery"}


def encode_form(form):
    """Like requests, except that a value written as %XX goes out as is (raw escapes)."""
    from urllib.parse import quote_plus
    return "&".join(f"{k}={v if v.startswith('%') else quote_plus(v)}" for k, v in form.items())


def test_garbage_in_every_token_form_field_is_a_clear_4xx(keyed):
    s, admin_id, kid, pem = keyed
    client = s.create_client(grant_types=["client_credentials", "password", "refresh_token"])
    victim = s.create_user()  # junk passwords lock this account, not the admin's
    before = state(s)
    for grant, fields in GRANT_FIELDS.items():
        for field in fields:
            for junk in GARBAGE:
                form = {"grant_type": grant}
                if grant == "password":
                    form.update(username=victim["email"], password=victim["password"])
                if grant == "refresh_token":
                    live = s.login()["refresh_token"]
                    form.update(refresh_token=live)
                if grant == "client_credentials" or field in ("client_id", "client_secret"):
                    form.update(client_id=client["client_id"], client_secret=client["client_secret"])
                form[field] = junk
                r = s.post("/auth/token", data=encode_form(form),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
                where = (grant, field, junk[:40], r.status_code, r.text[:200])
                if r.status_code == 200:
                    # Only a blank value in a field that may be left out.
                    assert field in OPTIONAL and junk.strip() == "", where
                    continue
                assert 400 <= r.status_code < 500, where
                body = r.json()
                assert body["error"] in {"invalid_request", "invalid_grant", "invalid_client",
                                         "invalid_scope", "unsupported_grant_type",
                                         "unauthorized_client"}, where
                assert body["error_description"], where
                if grant == "refresh_token" and field != "refresh_token":
                    # A refused request spends nothing: the refresh token still works.
                    again = s.token(grant_type="refresh_token", refresh_token=live)
                    assert again.status_code == 200, where + (again.text,)
    after = state(s)
    assert after["users"] == before["users"] and after["oauth_clients"] == before["oauth_clients"]


def test_garbage_in_revoke_introspect_and_json_bodies(keyed):
    s, admin_id, kid, pem = keyed
    client = s.create_client()
    creds = {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    for path in ["/auth/revoke", "/auth/introspect"]:
        for junk in GARBAGE[1:]:
            for field in ["token", "token_type_hint", "client_id", "client_secret"]:
                form = dict(creds, token="abc")
                form[field] = junk
                r = s.post(path, data=form)
                assert r.status_code in (200, 400, 401), (path, field, junk, r.text)
                if r.status_code == 200 and path == "/auth/introspect":
                    assert r.json() == {"active": False}
    before = state(s)
    for path in ["/auth/signup", "/auth/password-recovery", "/auth/password-reset"]:
        for body in ["", "[]", "{", '{"email": 5}', '{"email": "x", "password": null}',
                     json.dumps({"email": "a@b.co", "password": "x" * 5000, "extra": 1})]:
            r = s.post(path, data=body, headers={"Content-Type": "application/json"})
            assert r.status_code in (400, 422), (path, body, r.text)
            assert r.headers["Content-Type"].startswith("application/problem+json")
        r = s.post(path, data="email=a@b.co", headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 415, (path, r.text)
    assert state(s) == before


@pytest.mark.parametrize("email", [
    "x@example.com' OR '1'='1", "\"; DROP TABLE users; --@x.com",
    "a%' OR email_key LIKE '%@example.com", "root@example.com\x00", "ROOT@EXAMPLE.COM'",
    "root@example.com;--", "root@example.com\r\nBcc: all@example.com",
])
def test_sql_metacharacters_in_emails_change_nothing(keyed, email):
    s, admin_id, kid, pem = keyed
    admin = s.admin()
    before = state(s)
    r = s.token(grant_type="password", username=email, password="whatever-whatever")
    assert r.status_code == 400 and r.json()["error"] in ("invalid_grant", "invalid_request"), r.text
    r = s.post("/auth/signup", json={"email": email, "password": "long enough password"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["pointer"] == "/email"
    r = s.post("/auth/password-recovery", json={"email": email})
    assert r.status_code in (202, 422), r.text
    r = s.get("/auth/admin/users", params={"q": email}, headers=admin)
    assert (r.status_code == 200 and r.json()["total"] == 0) or r.status_code == 422, r.text
    assert state(s) == before


def test_a_legal_address_with_quotes_and_dashes_is_just_text(keyed):
    """' and -- are legal in an address (o'brien@...): stored and matched literally."""
    s, *_ = keyed
    email = "o'brien--%_x@example.com"
    before = state(s)
    r = s.post("/auth/signup", json={"email": email, "password": "long enough password"})
    assert r.status_code == 201, r.text
    assert s.query("SELECT email FROM users WHERE email_key = ?", email) == [(email,)]
    assert state(s)["users"] == before["users"] + 1
    assert s.login(email, "long enough password")["access_token"]
    r = s.token(grant_type="password", username="o'brien--%@example.com", password="long enough password")
    assert r.status_code == 400


def test_like_wildcards_in_a_search_are_literal(keyed):
    s, *_ = keyed
    admin = s.admin()
    s.create_user(email=f"under_score{secrets.token_hex(2)}@example.com", admin=admin)
    everyone = s.query("SELECT email_key FROM users")
    assert len(everyone) > 2
    for term in ["%", "_", "\\"]:
        expected = sum(1 for (e,) in everyone if term in e)
        found = s.get("/auth/admin/users", params={"q": term, "limit": 200}, headers=admin).json()
        assert found["total"] == expected, (term, found)


def test_one_connection_presenting_tokens_in_turn_gets_each_checked(make_auth):
    """The middleware remembers the last token a keep-alive connection proved (to skip
    hashing it again): a different, tampered or expired token on that same connection must
    still be refused, and a valid one after a refused one accepted."""
    import http.client
    s = make_auth(env={"MMX_AUTH_ACCESS_TOKEN_TTL": "2s", "MMX_AUTH_LEEWAY": "0s"})
    admin = s.login()["access_token"]
    conn = http.client.HTTPConnection("127.0.0.1", s.fixed_port, timeout=10)

    def status(token, path="/auth/admin/users"):
        conn.request("GET", path, headers=bearer(token))
        r = conn.getresponse()
        r.read()
        return r.status

    assert status(admin) == 200
    assert status(admin) == 200  # the remembered token
    head, payload, sig = admin.split(".")
    assert status(f"{head}.{payload}.{sig[:-4]}{'AAAA' if sig[-4:] != 'AAAA' else 'BBBB'}") == 401
    claims = json.loads(base64_decode(payload))
    claims["roles"] = ["customer"]
    assert status(f"{head}.{b64url(json.dumps(claims).encode())}.{sig}") == 401
    assert status(admin) == 200
    # Once it expires (TTL 2 s, no leeway) the remembered token is refused too.
    wait_for(lambda: status(admin) == 401, timeout=6, what="the remembered token to expire")
    conn.close()


def base64_decode(segment):
    import base64
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
