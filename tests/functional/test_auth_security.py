"""The auth service's defences: the first superuser (default or weak passwords refused
outside MMX_ENV=local), per-account lockout with backoff, per-IP rate limits (429 +
Retry-After), Argon2id at the default cost, no user enumeration by timing, and no secret
in any log line.
"""
import statistics
import subprocess
import time

import pytest

from auth_fixtures import (ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_DIR, auth_env, bearer, run_micromax,
                           wait_for)

PRODUCTION = {"MMX_ENV": "production", "MMX_LISTEN": "127.0.0.1:0"}


def start_failure(tmp_path, **env):
    p = run_micromax([], {**auth_env(**env), **PRODUCTION, "MMX_DATA_DIR": str(tmp_path)}, timeout=30)
    assert p.returncode != 0, p.stdout
    return p.stderr


def test_first_superuser_is_created_once_with_the_admin_role(make_auth, tmp_path):
    s = make_auth(data_dir=tmp_path)
    me = s.get("/auth/users/me", headers=s.admin()).json()
    assert me["email"] == ADMIN_EMAIL and me["roles"] == ["admin"]
    assert s.find_log(msg="first superuser created")
    s.stop()
    # Idempotent: a second start (a new password in the settings, even) changes nothing.
    s2 = make_auth(data_dir=tmp_path, env={"MMX_FIRST_SUPERUSER_PASSWORD": "Another-strong-pass-1"})
    assert s2.query("SELECT count(*) FROM users")[0][0] == 1
    assert s2.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    assert not s2.find_log(msg="first superuser created")


def test_default_or_weak_superuser_password_refused_outside_local(tmp_path):
    err = start_failure(tmp_path, MMX_FIRST_SUPERUSER_PASSWORD="changethis")
    assert "MMX_FIRST_SUPERUSER_PASSWORD" in err and "default" in err, err
    for weak in ["password123", "short1!", "aaaaaaaaaaaaaaaa", ADMIN_EMAIL]:
        err = start_failure(tmp_path, MMX_FIRST_SUPERUSER_PASSWORD=weak)
        assert "MMX_FIRST_SUPERUSER_PASSWORD" in err, (weak, err)
        assert weak not in err, "the password itself is never printed"
    err = start_failure(tmp_path, MMX_AUTH_KEY_ENCRYPTION_KEY="")
    assert "MMX_AUTH_KEY_ENCRYPTION_KEY is required" in err


def test_strong_superuser_password_starts_in_production(make_auth):
    strong = subprocess.run([str(ROOT_DIR / "scripts" / "gen-secret.sh")], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert len(strong) == 43
    s = make_auth(env={"MMX_ENV": "production", "MMX_FIRST_SUPERUSER_PASSWORD": strong})
    assert s.login(ADMIN_EMAIL, strong)
    # A weak password is fine for local development, with the default.
    s2 = make_auth(env={"MMX_FIRST_SUPERUSER_PASSWORD": "changethis"})
    assert s2.login(ADMIN_EMAIL, "changethis")


def test_gen_secret_prints_fresh_secrets():
    run = lambda *a: subprocess.run([str(ROOT_DIR / "scripts" / "gen-secret.sh"), *a],  # noqa: E731
                                    capture_output=True, text=True)
    lines = run("-n", "5").stdout.split()
    assert len(lines) == 5 == len(set(lines))
    assert all(len(l) == 43 and set(l) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
               for l in lines)
    env = run("--env").stdout
    assert "MMX_FIRST_SUPERUSER_PASSWORD=" in env and "MMX_AUTH_KEY_ENCRYPTION_KEY=" in env
    assert run("-b", "8").returncode == 2


def test_lockout_with_exponential_backoff(make_auth):
    s = make_auth(env={"MMX_AUTH_LOCKOUT_THRESHOLD": "3", "MMX_AUTH_LOCKOUT_BASE": "1s",
                       "MMX_AUTH_LOCKOUT_MAX": "4s"})
    user = s.create_user()
    wrong = lambda: s.token(grant_type="password", username=user["email"], password="not the password")  # noqa: E731
    for _ in range(2):
        assert wrong().json()["error_description"] == "Incorrect email or password."
    assert wrong().status_code == 400  # the third: locked for 1 s from now
    r = s.token(grant_type="password", username=user["email"], password=user["password"])
    assert r.status_code == 400 and "Too many failed sign-ins" in r.json()["error_description"]
    assert int(r.headers["Retry-After"]) == 1
    time.sleep(1.1)
    assert wrong().status_code == 400  # the fourth: 2 s
    r = s.token(grant_type="password", username=user["email"], password=user["password"])
    assert int(r.headers["Retry-After"]) == 2
    time.sleep(2.1)
    assert s.login(user["email"], user["password"])  # a success resets the count
    assert wrong().json()["error_description"] == "Incorrect email or password."
    # Unknown emails lock the same way: a lockout reveals nothing.
    ghost = "ghost-" + user["email"]
    for _ in range(3):
        s.token(grant_type="password", username=ghost, password="whatever-whatever")
    r = s.token(grant_type="password", username=ghost, password="whatever-whatever")
    assert "Too many failed sign-ins" in r.json()["error_description"]
    audit = s.get("/auth/admin/audit", params={"action": "login.locked"}, headers=s.admin()).json()
    assert audit["total"] >= 2


def test_rate_limits_per_client_ip(make_auth):
    s = make_auth(env={"MMX_AUTH_RATE_LIMIT": "6", "MMX_AUTH_RATE_BURST": "3"})
    for path, send in [("/auth/token", lambda: s.token(grant_type="client_credentials")),
                       ("/auth/signup", lambda: s.post("/auth/signup", json={})),
                       ("/auth/password-recovery", lambda: s.post("/auth/password-recovery", json={}))]:
        statuses = [send().status_code for _ in range(3)]
        assert 429 not in statuses, (path, statuses)
        r = send()
        assert r.status_code == 429, (path, r.text)
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert 1 <= int(r.headers["Retry-After"]) <= 10
    # Other endpoints are not limited.
    for _ in range(10):
        assert s.get("/.well-known/jwks.json").status_code == 200
    # Behind a trusted proxy, the limit is per forwarded client.
    p = make_auth(env={"MMX_AUTH_RATE_LIMIT": "6", "MMX_AUTH_RATE_BURST": "1",
                       "MMX_AUTH_TRUST_FORWARDED_FOR": "true"})
    xff = lambda ip: p.post("/auth/token", data={}, headers={"X-Forwarded-For": f"203.0.113.9, {ip}"})  # noqa: E731
    assert xff("198.51.100.1").status_code == 400
    assert xff("198.51.100.1").status_code == 429
    assert xff("198.51.100.2").status_code == 400


def test_default_argon2_cost_and_rehash_on_sign_in(make_auth, tmp_path):
    cheap = make_auth(data_dir=tmp_path)
    user = cheap.create_user()
    (phc,), = cheap.query("SELECT password_hash FROM users WHERE id = ?", user["id"])
    assert phc.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    cheap.stop()
    default = make_auth(data_dir=tmp_path, env={"MMX_AUTH_ARGON2_MEMORY": "19MiB",
                                                 "MMX_AUTH_ARGON2_ITERATIONS": "2"})
    t0 = time.monotonic()
    assert default.login(user["email"], user["password"])
    elapsed = time.monotonic() - t0
    (phc,), = default.query("SELECT password_hash FROM users WHERE id = ?", user["id"])
    assert phc.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), phc
    assert elapsed < 5
    assert default.login(user["email"], user["password"])


def test_unknown_email_takes_as_long_as_a_wrong_password(make_auth):
    # A cost high enough that Argon2 dominates the request time (~10-20 ms).
    s = make_auth(env={"MMX_AUTH_ARGON2_MEMORY": "8MiB", "MMX_AUTH_LOCKOUT_THRESHOLD": "0"})
    user = s.create_user()

    def timed(email):
        t0 = time.monotonic()
        r = s.token(grant_type="password", username=email, password="wrong password!")
        assert r.status_code == 400
        return time.monotonic() - t0

    known = statistics.median(timed(user["email"]) for _ in range(9))
    unknown = statistics.median(timed("nobody-" + user["email"]) for _ in range(9))
    assert unknown > 0.5 * known and known > 0.5 * unknown, (known, unknown)


def test_no_secret_reaches_the_logs(make_auth, smtp_sink):
    s = make_auth(env={"MMX_LOG_LEVEL": "debug", "MMX_SMTP_URL": smtp_sink.url})
    user = s.create_user(password="Sekrit-Passw0rd-xyz")
    t = s.login(user["email"], user["password"])
    r = s.token(grant_type="refresh_token", refresh_token=t["refresh_token"])
    t2 = r.json()
    client = s.create_client()
    cc = s.token(grant_type="client_credentials", client_id=client["client_id"],
                 client_secret=client["client_secret"]).json()
    s.post("/auth/introspect", data={"token": t2["access_token"], "client_id": client["client_id"],
                                     "client_secret": client["client_secret"]})
    s.post("/auth/revoke", data={"token": t2["refresh_token"]})
    s.get("/auth/userinfo", headers=bearer(t2["access_token"]))
    s.token(grant_type="password", username=user["email"], password="Wrong-Sekrit-zz")
    s.post("/auth/password-recovery", json={"email": user["email"]})
    msg = smtp_sink.wait_for(user["email"])
    recovery = msg.get_payload(decode=True).decode().strip().split()[-1]
    wait_for(lambda: s.find_log(msg="recovery email sent"), what="the recovery email log line")
    leaks = s.secret_leaks(user["password"], "Wrong-Sekrit-zz", t["access_token"], t["refresh_token"],
                           t2["access_token"], t2["refresh_token"], client["client_secret"],
                           cc["access_token"], ADMIN_PASSWORD, recovery,
                           "functional-tests-key-encryption-secret")
    assert not leaks, leaks[:3]
    (phc,), = s.query("SELECT password_hash FROM users WHERE id = ?", user["id"])
    assert not s.secret_leaks(phc)
