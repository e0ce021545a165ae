"""The admin API (role admin), on SQLite and PostgreSQL: users (search, pagination, create,
update, disable, roles, force logout), service clients (secret shown once, rotation), the
audit trail with filters, and the role check itself.
"""
import secrets
import time
from datetime import datetime, timedelta, timezone

import pytest

from auth_fixtures import ADMIN_EMAIL, bearer


@pytest.fixture(scope="module")
def admin(auth):
    return auth.admin()


def test_non_admins_get_403_and_anonymous_401(auth):
    user = auth.create_user(roles=["staff"])
    h = bearer(auth.login(user["email"], user["password"])["access_token"])
    for method, path in [("get", "/auth/admin/users"), ("post", "/auth/admin/users"),
                         ("get", "/auth/admin/clients"), ("get", "/auth/admin/audit"),
                         ("post", "/auth/admin/keys/rotate"), ("get", "/auth/admin/roles")]:
        assert getattr(auth, method)(path, headers=h).status_code == 403, path
        assert getattr(auth, method)(path).status_code == 401, path


def test_users_search_and_pagination(auth, admin):
    tag = secrets.token_hex(3)
    made = [auth.create_user(email=f"page-{tag}-{i}@example.com", full_name=f"Pager {tag} {i}",
                             admin=admin) for i in range(5)]
    page = auth.get("/auth/admin/users", params={"q": f"PAGE-{tag}", "limit": 2}, headers=admin).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 0 and len(page["items"]) == 2
    seen = []
    for offset in range(0, 6, 2):
        p = auth.get("/auth/admin/users", params={"q": f"page-{tag}", "limit": 2, "offset": offset},
                     headers=admin).json()
        seen += [u["id"] for u in p["items"]]
    assert sorted(seen) == sorted(u["id"] for u in made)
    by_name = auth.get("/auth/admin/users", params={"q": f"pager {tag} 3"}, headers=admin).json()
    assert [u["email"] for u in by_name["items"]] == [f"page-{tag}-3@example.com"]
    staff = auth.get("/auth/admin/users", params={"role": "admin"}, headers=admin).json()
    assert ADMIN_EMAIL in [u["email"] for u in staff["items"]]
    for params in [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "x"}, {"active": "maybe"}]:
        r = auth.get("/auth/admin/users", params=params, headers=admin)
        assert r.status_code == 422, (params, r.text)


def test_create_get_update_and_roles(auth, admin):
    email = f"made-{secrets.token_hex(3)}@example.com"
    r = auth.post("/auth/admin/users", headers=admin,
                  json={"email": email, "password": "long enough pw", "full_name": "Made", "roles": ["staff"]})
    assert r.status_code == 201, r.text
    user = r.json()
    assert r.headers["Location"] == f"/auth/admin/users/{user['id']}" and user["roles"] == ["staff"]
    assert auth.get(f"/auth/admin/users/{user['id']}", headers=admin).json() == user
    assert auth.post("/auth/admin/users", headers=admin,
                     json={"email": email.upper(), "password": "long enough pw"}).status_code == 409
    assert auth.post("/auth/admin/users", headers=admin,
                     json={"email": "x@example.com", "password": "long enough pw",
                           "roles": ["emperor"]}).status_code == 422
    r = auth.patch(f"/auth/admin/users/{user['id']}", headers=admin, json={"full_name": "Renamed"})
    assert r.status_code == 200 and r.json()["full_name"] == "Renamed"
    r = auth.put(f"/auth/admin/users/{user['id']}/roles", headers=admin, json={"roles": ["customer", "staff"]})
    assert r.status_code == 200 and r.json()["roles"] == ["customer", "staff"]
    t = auth.login(email, "long enough pw")
    assert sorted(auth.verify(t["access_token"])["roles"]) == ["customer", "staff"]
    r = auth.put(f"/auth/admin/users/{user['id']}/roles", headers=admin, json={"roles": ["nope"]})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/roles/0"
    missing = "00000000-0000-4000-8000-000000000000"
    assert auth.get(f"/auth/admin/users/{missing}", headers=admin).status_code == 404
    assert auth.get("/auth/admin/users/not-a-uuid", headers=admin).status_code in (404, 422)
    # A role change reaches tokens at the next refresh.
    auth.put(f"/auth/admin/users/{user['id']}/roles", headers=admin, json={"roles": ["customer"]})
    r = auth.token(grant_type="refresh_token", refresh_token=t["refresh_token"])
    claims = auth.verify(r.json()["access_token"])
    assert claims["roles"] == ["customer"] and "orders:manage" not in claims["scope"]


def test_disable_and_force_logout(auth, admin):
    user = auth.create_user(admin=admin)
    s1 = auth.login(user["email"], user["password"])
    r = auth.post(f"/auth/admin/users/{user['id']}/logout", headers=admin)
    assert r.status_code == 204
    assert auth.token(grant_type="refresh_token", refresh_token=s1["refresh_token"]).status_code == 400
    s2 = auth.login(user["email"], user["password"])
    r = auth.post(f"/auth/admin/users/{user['id']}/disable", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert auth.token(grant_type="refresh_token", refresh_token=s2["refresh_token"]).status_code == 400
    r = auth.token(grant_type="password", username=user["email"], password=user["password"])
    assert r.status_code == 400 and r.json()["error_description"] == "This account is disabled."
    assert auth.get("/auth/userinfo", headers=bearer(s2["access_token"])).status_code == 401
    inactive = auth.get("/auth/admin/users", params={"active": "false"}, headers=admin).json()
    assert user["id"] in [u["id"] for u in inactive["items"]]
    r = auth.patch(f"/auth/admin/users/{user['id']}", headers=admin, json={"active": True})
    assert r.status_code == 200 and r.json()["active"] is True
    assert auth.login(user["email"], user["password"])
    # An admin cannot lock themselves out.
    me = auth.get("/auth/users/me", headers=admin).json()
    assert auth.post(f"/auth/admin/users/{me['id']}/disable", headers=admin).status_code == 409
    assert auth.put(f"/auth/admin/users/{me['id']}/roles", headers=admin, json={"roles": []}).status_code == 409


def test_service_clients_crud_and_secret_rotation(auth, admin):
    r = auth.post("/auth/admin/clients", headers=admin,
                  json={"client_id": f"svc-orders-{secrets.token_hex(2)}", "name": "Orders",
                        "scopes": ["orders:read", "orders:write"]})
    assert r.status_code == 201, r.text
    assert r.headers["Cache-Control"] == "no-store"
    client = r.json()
    cid, secret = client["client_id"], client["client_secret"]
    assert client["grant_types"] == ["client_credentials"] and len(secret) >= 43
    got = auth.get(f"/auth/admin/clients/{cid}", headers=admin).json()
    assert "client_secret" not in got and got["scopes"] == ["orders:read", "orders:write"]
    assert cid in [c["client_id"] for c in auth.get("/auth/admin/clients", headers=admin).json()["items"]]
    assert auth.post("/auth/admin/clients", headers=admin, json={"client_id": cid, "name": "dup"}).status_code == 409
    for bad in [{"name": "x", "grant_types": ["implicit"]}, {"name": "x", "scopes": ["has space"]},
                {"name": "x", "client_id": "a b"}, {"name": ""}, {"name": "x", "roles": ["king"]}]:
        r = auth.post("/auth/admin/clients", headers=admin, json=bad)
        assert r.status_code == 422, (bad, r.text)
    generated = auth.create_client(admin=admin)
    assert generated["client_id"].startswith("svc-")

    def cc(sec, **form):
        return auth.token(grant_type="client_credentials", client_id=cid, client_secret=sec, **form)

    assert cc(secret).status_code == 200
    r = auth.patch(f"/auth/admin/clients/{cid}", headers=admin, json={"scopes": ["orders:read"]})
    assert r.status_code == 200 and r.json()["scopes"] == ["orders:read"]
    assert cc(secret, scope="orders:write").status_code == 400
    r = auth.post(f"/auth/admin/clients/{cid}/secret", headers=admin)
    assert r.status_code == 200
    new_secret = r.json()["client_secret"]
    assert new_secret != secret
    assert cc(secret).status_code == 401 and cc(new_secret).status_code == 200
    assert auth.patch(f"/auth/admin/clients/{cid}", headers=admin, json={"active": False}).status_code == 200
    assert cc(new_secret).status_code == 401
    assert auth.delete(f"/auth/admin/clients/{cid}", headers=admin).status_code == 204
    assert auth.get(f"/auth/admin/clients/{cid}", headers=admin).status_code == 404
    assert auth.delete(f"/auth/admin/clients/{cid}", headers=admin).status_code == 404
    assert not auth.secret_leaks(secret, new_secret)


def test_audit_trail_filters(auth, admin):
    user = auth.create_user(admin=admin)
    auth.token(grant_type="password", username=user["email"], password="wrong password!")
    auth.login(user["email"], user["password"])
    q = lambda **p: auth.get("/auth/admin/audit", params=p, headers=admin)  # noqa: E731
    failures = q(action="login.failure", subject=user["email"]).json()
    assert failures["total"] == 1 and failures["items"][0]["outcome"] == "failure"
    assert failures["items"][0]["ip"] == "127.0.0.1"
    ok = q(action="login.success", actor=user["id"]).json()
    assert ok["total"] == 1 and ok["items"][0]["subject"] == user["email"]
    created = q(action="user.create", subject=user["id"]).json()["items"][0]
    me = auth.get("/auth/users/me", headers=admin).json()
    assert created["actor"] == me["id"] and created["outcome"] == "success"
    # Newest first, paginated, and filtered by time.
    page = q(limit=3).json()
    assert len(page["items"]) == 3 and page["total"] > 3
    assert [e["id"] for e in page["items"]] == sorted((e["id"] for e in page["items"]), reverse=True)
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert q(since=future).json()["total"] == 0
    assert q(until=future, outcome="failure").json()["total"] >= 1
    for bad in [{"since": "yesterday"}, {"outcome": "maybe"}, {"limit": 1000}]:
        assert q(**bad).status_code == 422, bad
    # Nothing secret in it.
    text = q(limit=200).text
    assert user["password"] not in text and "wrong password!" not in text


def test_key_listing_and_rotation_through_the_api(auth, admin):
    keys = auth.get("/auth/admin/keys", headers=admin).json()["items"]
    signing = [k for k in keys if k["signing"]]
    assert len(signing) == 1 and "private_pem" not in str(keys)
    old = auth.login()
    r = auth.post("/auth/admin/keys/rotate", headers=admin)
    assert r.status_code == 200, r.text
    rot = r.json()
    assert rot["previous_kid"] == signing[0]["kid"] and rot["kid"] != rot["previous_kid"]
    assert abs(rot["activates_at"] - time.time()) < 5
    new = auth.login()
    import jwt
    assert jwt.get_unverified_header(new["access_token"])["kid"] == rot["kid"]
    kids = [k["kid"] for k in auth.jwks()["keys"]]
    assert kids[0] == rot["kid"] and rot["previous_kid"] in kids
    assert auth.verify(old["access_token"]) and auth.verify(new["access_token"])
    assert auth.get("/auth/userinfo", headers=bearer(old["access_token"])).status_code == 200
    assert auth.get("/auth/userinfo", headers=bearer(new["access_token"])).status_code == 200
