"""Self-service accounts, on SQLite and PostgreSQL: sign-up (and switching it off), the
signed-in user's profile, password change (signs out the other sessions), and password
recovery by email through a local SMTP sink (aiosmtpd).
"""
import re
import secrets

import pytest

from auth_fixtures import AuthServer, backend_env, bearer, serve, wait_for


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def mailing(request, smtp_sink):
    """An auth server that sends its mail to the sink, with a short recovery-token life."""
    env = backend_env(request, request.param)
    env.update({"MMX_SMTP_URL": smtp_sink.url, "MMX_SMTP_FROM": "MicroMax <auth@micromax.test>",
                "MMX_AUTH_RECOVERY_URL": "https://shop.example/reset"})
    s = AuthServer(env=env)
    s.backend = request.param
    yield from serve(s)


def new_email():
    return f"person-{secrets.token_hex(4)}@example.com"


def test_signup_then_sign_in(auth):
    email = new_email()
    r = auth.post("/auth/signup", json={"email": email, "password": "a fine password", "full_name": "Sam"})
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["email"] == email and user["roles"] == ["customer"] and user["active"] is True
    assert "password" not in r.text and "hash" not in r.text
    t = auth.login(email, "a fine password")
    assert auth.verify(t["access_token"])["sub"] == user["id"]
    # The email is unique whatever its case.
    r = auth.post("/auth/signup", json={"email": email.upper(), "password": "another password"})
    assert r.status_code == 409 and r.headers["Content-Type"].startswith("application/problem+json")


def test_signup_validation_names_each_field(auth):
    r = auth.post("/auth/signup", json={"email": "not-an-email", "password": ""})
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {"/email", "/password"}
    email = new_email()
    for password, why in [("short", "characters long"), (email, "email"),
                          ("changethis", "too common"), ("x" * 129, "characters long")]:
        r = auth.post("/auth/signup", json={"email": email, "password": password})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["pointer"] == "/password" and why in r.json()["errors"][0]["detail"]
    r = auth.post("/auth/signup", json={"email": email, "password": "good enough", "roles": ["admin"]})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/roles"


def test_signup_emits_user_registered_through_the_outbox(auth):
    email = new_email()
    assert auth.post("/auth/signup", json={"email": email, "password": "a fine password"}).status_code == 201
    wait_for(lambda: auth.get("/metrics").text.count('mmx_outbox_relayed_total{service="auth"}') and
             _relayed(auth) >= 1, what="the outbox relay")


def _relayed(s):
    for line in s.get("/metrics").text.splitlines():
        if line.startswith('mmx_outbox_relayed_total{service="auth"}'):
            return float(line.split()[-1])
    return 0


def test_signup_can_be_switched_off(make_auth):
    s = make_auth(env={"MMX_AUTH_SIGNUP": "false"})
    r = s.post("/auth/signup", json={"email": new_email(), "password": "a fine password"})
    assert r.status_code == 403 and "disabled" in r.json()["detail"]
    assert s.query("SELECT count(*) FROM users")[0][0] == 1  # the first superuser only


def test_me_read_and_update(auth):
    user = auth.create_user(full_name="Before")
    h = bearer(auth.login(user["email"], user["password"])["access_token"])
    me = auth.get("/auth/users/me", headers=h).json()
    assert me["id"] == user["id"] and me["full_name"] == "Before"
    r = auth.patch("/auth/users/me", headers=h, json={"full_name": "After"})
    assert r.status_code == 200 and r.json()["full_name"] == "After"
    # Changing the email needs the password.
    new = new_email()
    r = auth.patch("/auth/users/me", headers=h, json={"email": new})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/current_password"
    r = auth.patch("/auth/users/me", headers=h, json={"email": new, "current_password": "wrong one"})
    assert r.status_code == 422
    r = auth.patch("/auth/users/me", headers=h, json={"email": new, "current_password": user["password"]})
    assert r.status_code == 200 and r.json()["email"] == new
    assert auth.login(new, user["password"])
    other = auth.create_user()
    r = auth.patch("/auth/users/me", headers=h, json={"email": other["email"], "current_password": user["password"]})
    assert r.status_code == 409
    r = auth.patch("/auth/users/me", headers=h, json={"id": "x"})
    assert r.status_code == 422
    assert auth.get("/auth/users/me").status_code == 401


def test_password_change_signs_out_the_other_sessions(auth):
    user = auth.create_user()
    here = auth.login(user["email"], user["password"])
    elsewhere = auth.login(user["email"], user["password"])
    h = bearer(here["access_token"])
    r = auth.post("/auth/users/me/password", headers=h,
                  json={"current_password": "not it", "new_password": "brand new password"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/current_password"
    r = auth.post("/auth/users/me/password", headers=h,
                  json={"current_password": user["password"], "new_password": "short"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/new_password"
    r = auth.post("/auth/users/me/password", headers=h,
                  json={"current_password": user["password"], "new_password": "brand new password"})
    assert r.status_code == 204, r.text
    assert auth.token(grant_type="refresh_token", refresh_token=elsewhere["refresh_token"]).status_code == 400
    assert auth.token(grant_type="refresh_token", refresh_token=here["refresh_token"]).status_code == 200
    assert auth.token(grant_type="password", username=user["email"], password=user["password"]).status_code == 400
    assert auth.login(user["email"], "brand new password")
    audit = auth.get("/auth/admin/audit", params={"action": "password.change", "subject": user["id"]},
                     headers=auth.admin()).json()
    assert audit["total"] == 1 and "1 other sessions" in audit["items"][0]["detail"]


def recovery_token(message):
    body = message.get_payload(decode=True).decode()
    m = re.search(r"https://shop\.example/reset\?token=([A-Za-z0-9_-]+)", body)
    assert m, body
    return m.group(1)


def test_password_recovery_by_email(mailing, smtp_sink):
    s = mailing
    user = s.create_user()
    session = s.login(user["email"], user["password"])
    r = s.post("/auth/password-recovery", json={"email": user["email"].upper()})
    assert r.status_code == 202
    msg = smtp_sink.wait_for(user["email"])
    assert msg["From"] == "MicroMax <auth@micromax.test>" and msg["Subject"] == "Reset your MicroMax password"
    assert msg["To"] == f"<{user['email']}>" and msg["Message-ID"] and msg["Date"]
    token = recovery_token(msg)
    # The policy is checked before the token is spent.
    r = s.post("/auth/password-reset", json={"token": token, "new_password": "short"})
    assert r.status_code == 422
    r = s.post("/auth/password-reset", json={"token": token, "new_password": "recovered password"})
    assert r.status_code == 204, r.text
    assert s.login(user["email"], "recovered password")
    # Single use, and every session was signed out.
    r = s.post("/auth/password-reset", json={"token": token, "new_password": "another password!"})
    assert r.status_code == 400 and "invalid, used or expired" in r.json()["detail"]
    assert s.token(grant_type="refresh_token", refresh_token=session["refresh_token"]).status_code == 400
    # The token never reached the logs.
    assert not s.secret_leaks(token, user["password"], "recovered password")


def test_recovery_does_not_tell_which_emails_exist(mailing, smtp_sink):
    s = mailing
    nobody = new_email()
    r = s.post("/auth/password-recovery", json={"email": nobody})
    known = s.create_user()
    r2 = s.post("/auth/password-recovery", json={"email": known["email"]})
    assert r.status_code == r2.status_code == 202 and r.json() == r2.json()
    smtp_sink.wait_for(known["email"])
    assert smtp_sink.count(nobody) == 0
    for token in ["", "x" * 300, "made-up-token"]:
        r = s.post("/auth/password-reset", json={"token": token, "new_password": "recovered password"})
        assert r.status_code in (400, 422), r.text


def test_recovery_tokens_expire(make_auth, smtp_sink):
    s = make_auth(env={"MMX_SMTP_URL": smtp_sink.url, "MMX_AUTH_RECOVERY_URL": "https://shop.example/reset"})
    user = s.create_user()
    s.post("/auth/password-recovery", json={"email": user["email"]})
    token = recovery_token(smtp_sink.wait_for(user["email"]))
    s.query("UPDATE recovery_tokens SET expires_at = 0")
    r = s.post("/auth/password-reset", json={"token": token, "new_password": "recovered password"})
    assert r.status_code == 400
    assert s.login(user["email"], user["password"])
