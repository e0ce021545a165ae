"""The token endpoint and its neighbours, on SQLite and PostgreSQL: every grant, refresh
rotation and reuse detection, revocation, introspection, userinfo, discovery, cookie mode,
and RFC 6749 errors. PyJWT verifies the access tokens from the JWKS document alone.
"""
import base64
import time

import jwt
import pytest

from auth_fixtures import ADMIN_EMAIL, ADMIN_PASSWORD, AUDIENCE, bearer


def basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_discovery_names_every_endpoint(auth):
    migrated = auth.find_log(msg="migrations applied")
    assert migrated and migrated["url"].startswith(auth.backend), migrated
    doc = auth.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == auth.issuer
    for key, path in [("token_endpoint", "/auth/token"), ("jwks_uri", "/.well-known/jwks.json"),
                      ("userinfo_endpoint", "/auth/userinfo"), ("revocation_endpoint", "/auth/revoke"),
                      ("introspection_endpoint", "/auth/introspect")]:
        assert doc[key] == auth.issuer + path
    assert set(doc["grant_types_supported"]) == {"password", "refresh_token", "client_credentials"}
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "orders:read" in doc["scopes_supported"] and "admin" in doc["scopes_supported"]
    jwks = auth.jwks()
    assert jwks["keys"] and all(k["kty"] == "RSA" and k["alg"] == "RS256" and k["use"] == "sig"
                                and "d" not in k for k in jwks["keys"])
    assert auth.get("/.well-known/jwks.json").headers["Content-Type"].startswith("application/jwk-set+json")


def test_password_grant_issues_rs256_tokens_pyjwt_verifies(auth):
    user = auth.create_user(full_name="Ada Lovelace")
    r = auth.token(grant_type="password", username=user["email"].upper(), password=user["password"])
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Pragma"] == "no-cache"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["refresh_token"] and len(body["refresh_token"]) >= 43
    claims = auth.verify(body["access_token"])
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "RS256"
    assert claims["sub"] == user["id"] and claims["aud"] == AUDIENCE and claims["iss"] == auth.issuer
    assert claims["exp"] - claims["iat"] == 900 and claims["nbf"] == claims["iat"]
    assert claims["roles"] == ["customer"] and claims["email"] == user["email"]
    assert claims["name"] == "Ada Lovelace" and claims["jti"] and claims["sid"]
    assert set(claims["scope"].split()) == {"openid", "profile", "email", "catalog:read",
                                            "orders:read", "orders:write"}
    assert body["scope"] == claims["scope"]


def test_password_grant_with_a_narrower_scope_and_swagger_ui_fields(auth):
    user = auth.create_user()
    # What Swagger UI's Authorize (FastAPI OAuth2PasswordRequestForm) sends: empty fields too.
    r = auth.token(grant_type="password", username=user["email"], password=user["password"],
                   scope="orders:read openid", client_id="", client_secret="")
    assert r.status_code == 200, r.text
    assert auth.verify(r.json()["access_token"])["scope"] == "orders:read openid"
    # Its default "client credentials location" is the Authorization header, even when empty.
    r = auth.post("/auth/token", data={"grant_type": "password", "username": user["email"],
                                       "password": user["password"], "scope": ""},
                  headers={"Authorization": "Basic Og=="})
    assert r.status_code == 200, r.text
    r = auth.token(grant_type="password", username=user["email"], password=user["password"],
                   scope="orders:read admin")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_wrong_password_and_unknown_email_answer_alike(auth):
    user = auth.create_user()
    wrong = auth.token(grant_type="password", username=user["email"], password="nope-nope-nope")
    unknown = auth.token(grant_type="password", username="nobody-" + user["email"], password="nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == {"error": "invalid_grant",
                                              "error_description": "Incorrect email or password."}


def test_refresh_rotates_and_reuse_revokes_the_whole_family(auth):
    user = auth.create_user()
    first = auth.login(user["email"], user["password"])
    r = auth.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    c1, c2 = auth.verify(first["access_token"]), auth.verify(second["access_token"])
    assert c2["sid"] == c1["sid"] and c2["jti"] != c1["jti"] and c2["sub"] == user["id"]
    # The rotated token comes back (stolen?): refused, and the live one dies with it.
    reuse = auth.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert "already used" in reuse.json()["error_description"]
    dead = auth.token(grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"
    # Another sign-in of the same user is a separate family, untouched.
    other = auth.login(user["email"], user["password"])
    assert auth.token(grant_type="refresh_token", refresh_token=other["refresh_token"]).status_code == 200
    audit = auth.get("/auth/admin/audit", params={"action": "token.reuse_detected", "actor": user["id"]},
                     headers=auth.admin()).json()
    assert audit["total"] == 1 and audit["items"][0]["outcome"] == "failure"


def test_refresh_may_narrow_but_not_widen_the_scope(auth):
    user = auth.create_user()
    t = auth.login(user["email"], user["password"], scope="openid orders:read")
    r = auth.token(grant_type="refresh_token", refresh_token=t["refresh_token"], scope="orders:read")
    assert r.status_code == 200 and r.json()["scope"] == "orders:read"
    r = auth.token(grant_type="refresh_token", refresh_token=r.json()["refresh_token"], scope="orders:write")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_client_credentials_with_basic_and_with_form_fields(auth):
    client = auth.create_client(scopes=["orders:read", "catalog:read"], roles=["staff"])
    r = auth.token(grant_type="client_credentials", client_id=client["client_id"],
                   client_secret=client["client_secret"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert "refresh_token" not in body
    claims = auth.verify(body["access_token"])
    assert claims["sub"] == claims["client_id"] == client["client_id"]
    assert claims["scope"] == "orders:read catalog:read" and claims["roles"] == ["staff"]
    r = auth.post("/auth/token", data={"grant_type": "client_credentials", "scope": "catalog:read"},
                  headers=basic(client["client_id"], client["client_secret"]))
    assert r.status_code == 200 and auth.verify(r.json()["access_token"])["scope"] == "catalog:read"
    # Wrong secret, unknown client, no credentials: invalid_client, 401 + WWW-Authenticate Basic.
    for kw in [{"data": {"grant_type": "client_credentials", "client_id": client["client_id"],
                         "client_secret": "wrong"}},
               {"data": {"grant_type": "client_credentials"},
                "headers": basic("no-such-client", client["client_secret"])},
               {"data": {"grant_type": "client_credentials"}}]:
        r = auth.post("/auth/token", **kw)
        assert r.status_code == 401, r.text
        assert r.json()["error"] == "invalid_client"
        assert r.headers["WWW-Authenticate"].startswith("Basic")
    # A client may only use the grants it was given.
    r = auth.token(grant_type="password", username=ADMIN_EMAIL, password=ADMIN_PASSWORD,
                   client_id=client["client_id"], client_secret=client["client_secret"])
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    r = auth.token(grant_type="client_credentials", client_id=client["client_id"],
                   client_secret=client["client_secret"], scope="admin")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_password_grant_through_a_confidential_client_binds_the_refresh_token(auth):
    client = auth.create_client(grant_types=["password", "refresh_token"])
    user = auth.create_user()
    t = auth.post("/auth/token", data={"grant_type": "password", "username": user["email"],
                                       "password": user["password"]},
                  headers=basic(client["client_id"], client["client_secret"])).json()
    assert auth.verify(t["access_token"])["client_id"] == client["client_id"]
    # Without the client's credentials the refresh token is refused.
    r = auth.token(grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = auth.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": t["refresh_token"]},
                  headers=basic(client["client_id"], client["client_secret"]))
    assert r.status_code == 200, r.text


def test_rfc6749_errors(auth):
    cases = [
        ({}, 400, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, 400, "unsupported_grant_type"),
        ({"grant_type": "password", "username": ADMIN_EMAIL}, 400, "invalid_request"),
        ({"grant_type": "password", "password": "x"}, 400, "invalid_request"),
        ({"grant_type": "refresh_token"}, 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "not-a-token"}, 400, "invalid_grant"),
    ]
    for form, status, error in cases:
        r = auth.post("/auth/token", data=form)
        assert r.status_code == status, (form, r.text)
        assert r.json()["error"] == error and r.json()["error_description"], (form, r.text)
        assert r.headers["Cache-Control"] == "no-store"
    r = auth.post("/auth/token", json={"grant_type": "password"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert "x-www-form-urlencoded" in r.json()["error_description"]
    r = auth.post("/auth/token", data="grant_type=password&grant_type=password",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "more than once" in r.json()["error_description"]


def test_revocation_of_refresh_and_access_tokens(auth):
    user = auth.create_user()
    t = auth.login(user["email"], user["password"])
    r = auth.post("/auth/revoke", data={"token": t["refresh_token"], "token_type_hint": "refresh_token"})
    assert r.status_code == 200 and r.text == ""
    assert auth.token(grant_type="refresh_token", refresh_token=t["refresh_token"]).status_code == 400
    # An access token is listed as revoked: our own routes and introspection refuse it.
    t = auth.login(user["email"], user["password"])
    assert auth.get("/auth/userinfo", headers=bearer(t["access_token"])).status_code == 200
    assert auth.post("/auth/revoke", data={"token": t["access_token"]}).status_code == 200
    r = auth.get("/auth/userinfo", headers=bearer(t["access_token"]))
    assert r.status_code == 401 and "invalid_token" in r.headers["WWW-Authenticate"]
    # Unknown tokens: 200 all the same (RFC 7009 §2.2).
    assert auth.post("/auth/revoke", data={"token": "whatever"}).status_code == 200
    r = auth.post("/auth/revoke", data={"token": "x", "token_type_hint": "bogus"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_introspection_needs_a_client_and_reports_claims(auth):
    client = auth.create_client()
    user = auth.create_user()
    t = auth.login(user["email"], user["password"])
    assert auth.post("/auth/introspect", data={"token": t["access_token"]}).status_code == 401
    creds = basic(client["client_id"], client["client_secret"])
    info = auth.post("/auth/introspect", data={"token": t["access_token"]}, headers=creds).json()
    assert info["active"] is True and info["token_type"] == "access_token"
    assert info["sub"] == user["id"] and info["username"] == user["email"]
    assert info["iss"] == auth.issuer and info["aud"] == AUDIENCE and "orders:read" in info["scope"]
    info = auth.post("/auth/introspect", data={"token": t["refresh_token"]}, headers=creds).json()
    assert info["active"] is True and info["token_type"] == "refresh_token" and info["sub"] == user["id"]
    for token in ["garbage", t["access_token"][:-4] + "AAAA", ""]:
        r = auth.post("/auth/introspect", data={"token": token}, headers=creds)
        if token:
            assert r.json() == {"active": False}, token
        else:
            assert r.status_code == 400
    auth.post("/auth/revoke", data={"token": t["access_token"]})
    assert auth.post("/auth/introspect", data={"token": t["access_token"]}, headers=creds).json() == {"active": False}


def test_userinfo_and_me(auth):
    user = auth.create_user(full_name="Grace Hopper")
    t = auth.login(user["email"], user["password"])
    info = auth.get("/auth/userinfo", headers=bearer(t["access_token"])).json()
    assert info["sub"] == user["id"] and info["email"] == user["email"]
    assert info["name"] == "Grace Hopper" and info["roles"] == ["customer"]
    assert auth.get("/auth/userinfo").status_code == 401
    client = auth.create_client()
    service = auth.token(grant_type="client_credentials", client_id=client["client_id"],
                         client_secret=client["client_secret"]).json()["access_token"]
    assert auth.get("/auth/userinfo", headers=bearer(service)).status_code == 403


def cookie_of(response, name="mmx_refresh"):
    header = response.headers.get("Set-Cookie", "")
    assert header.startswith(name + "="), header
    value = header.split(";")[0].split("=", 1)[1]
    attrs = {a.strip().split("=")[0].lower(): a.strip() for a in header.split(";")[1:]}
    return value, attrs


def test_cookie_mode_keeps_the_refresh_token_out_of_javascript(auth):
    user = auth.create_user()
    r = auth.token(grant_type="password", username=user["email"], password=user["password"],
                   token_delivery="cookie")
    assert r.status_code == 200, r.text
    assert "refresh_token" not in r.json() and r.json()["access_token"]
    token, attrs = cookie_of(r)
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= set(attrs)
    assert attrs["samesite"] == "SameSite=Strict" and attrs["path"] == "Path=/auth"
    # The refresh grant takes it from the cookie and answers with the rotated one.
    r = auth.post("/auth/token", data={"grant_type": "refresh_token"},
                  headers={"Cookie": f"mmx_refresh={token}"})
    assert r.status_code == 200, r.text
    assert "refresh_token" not in r.json()
    rotated, _ = cookie_of(r)
    assert rotated != token
    # Logout revokes it and clears the cookie.
    r = auth.post("/auth/logout", headers={"Cookie": f"mmx_refresh={rotated}"})
    assert r.status_code == 204
    cleared, attrs = cookie_of(r)
    assert cleared == "" and attrs["max-age"] == "Max-Age=0"
    r = auth.post("/auth/token", data={"grant_type": "refresh_token"},
                  headers={"Cookie": f"mmx_refresh={rotated}"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = auth.token(grant_type="password", username=user["email"], password=user["password"],
                   token_delivery="carrier-pigeon")
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_cookie_without_secure_only_in_local_development(make_auth, tmp_path):
    s = make_auth(env={"MMX_AUTH_COOKIE_SECURE": "false"})
    r = s.token(grant_type="password", username=ADMIN_EMAIL, password=ADMIN_PASSWORD,
                token_delivery="cookie")
    assert "secure" not in cookie_of(r)[1]
    from auth_fixtures import auth_env, run_micromax
    p = run_micromax([], {**auth_env(MMX_AUTH_COOKIE_SECURE="false"), "MMX_ENV": "production",
                          "MMX_DATA_DIR": str(tmp_path), "MMX_LISTEN": "127.0.0.1:0"})
    assert p.returncode == 1 and "MMX_AUTH_COOKIE_SECURE=false" in p.stderr, p.stderr


def test_openapi_documents_the_oauth_flow(auth):
    doc = auth.get("/openapi.json").json()
    token = doc["paths"]["/auth/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    scheme = doc["components"]["securitySchemes"]["OAuth2"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/auth/token"
    assert doc["paths"]["/auth/admin/users"]["get"]["security"]
    assert doc["paths"]["/auth/signup"]["post"]["security"] == []


def test_expired_access_token_is_refused(make_auth):
    s = make_auth(env={"MMX_AUTH_ACCESS_TOKEN_TTL": "1s", "MMX_AUTH_LEEWAY": "0s"})
    t = s.login()
    assert s.get("/auth/userinfo", headers=bearer(t["access_token"])).status_code == 200
    time.sleep(2.1)
    r = s.get("/auth/userinfo", headers=bearer(t["access_token"]))
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    with pytest.raises(jwt.ExpiredSignatureError):
        s.verify(t["access_token"])


def test_openapi_of_the_auth_service_passes_redocly_lint(auth_sqlite, tmp_path):
    from conftest import ROOT
    redocly = ROOT / "tests" / "tools" / "node_modules" / ".bin" / "redocly"
    assert redocly.exists(), "run scripts/bootstrap.sh (npm ci in tests/tools)"
    spec = tmp_path / "openapi.json"
    spec.write_text(auth_sqlite.get("/openapi.json").text)
    # The configuration the committed contracts are linted with (errors fail, warnings show).
    cfg = ROOT / "shared" / "contracts" / "redocly.yaml"
    import subprocess
    p = subprocess.run([str(redocly), "lint", str(spec), "--config", str(cfg)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
