"""Signing-key rotation: `micromax auth rotate-keys` and the admin endpoint; tokens signed
with the previous key verify until they expire and the key then leaves the JWKS; two
replicas on one database serve the same keys and pick up each other's rotations; keys are
stored encrypted, and a wrong key-encryption key stops start-up.
"""
import time

import jwt
import pytest

from auth_fixtures import KEY_SECRET, auth_env, bearer, run_micromax, wait_for

SHORT = {"MMX_AUTH_ACCESS_TOKEN_TTL": "2s", "MMX_AUTH_LEEWAY": "0s", "MMX_AUTH_KEY_CACHE": "0s"}


def kid_of(token):
    return jwt.get_unverified_header(token)["kid"]


def test_rotate_keys_command_and_old_tokens_until_expiry(make_auth):
    s = make_auth(env=SHORT)
    old = s.login()
    old_kid = kid_of(old["access_token"])
    p = run_micromax(["auth", "rotate-keys"], {**auth_env(**SHORT), "MMX_ENV": "local",
                                               "MMX_DATA_DIR": s.data_dir})
    assert p.returncode == 0, p.stderr + p.stdout
    assert "new signing key" in p.stdout and old_kid in p.stdout
    new_kid = s.query("SELECT kid FROM signing_keys WHERE retired_at IS NULL")[0][0]
    # The running server reads the keys again (MMX_AUTH_KEY_CACHE=0s): both are published,
    # new tokens carry the new kid, and the old token still verifies.
    assert [k["kid"] for k in s.jwks()["keys"]] == [new_kid, old_kid]
    new = s.login()
    assert kid_of(new["access_token"]) == new_kid
    assert s.verify(old["access_token"]) and s.verify(new["access_token"])
    assert s.get("/auth/userinfo", headers=bearer(old["access_token"])).status_code == 200
    # Once every token of the old key has expired (TTL 2 s, no leeway) it is unpublished.
    wait_for(lambda: [k["kid"] for k in s.jwks()["keys"]] == [new_kid], timeout=6,
             what="the retired key to leave the JWKS")
    assert s.get("/auth/userinfo", headers=bearer(old["access_token"])).status_code == 401
    with pytest.raises(AssertionError, match="not in the JWKS"):
        s.verify(old["access_token"])
    audit = s.get("/auth/admin/audit", params={"action": "keys.rotate"}, headers=s.admin()).json()
    assert audit["items"][0]["actor"] == "system" and audit["items"][0]["subject"] == new_kid
    p = run_micromax(["auth", "rotate-keys", "extra"], {**auth_env(), "MMX_ENV": "local",
                                                        "MMX_DATA_DIR": s.data_dir})
    assert p.returncode == 2


def test_a_new_key_is_published_before_it_signs(make_auth):
    s = make_auth(env={"MMX_AUTH_KEY_ACTIVATION_DELAY": "2s", "MMX_AUTH_KEY_CACHE": "0s"})
    old_kid = kid_of(s.login()["access_token"])
    rot = s.post("/auth/admin/keys/rotate", headers=s.admin()).json()
    kids = [k["kid"] for k in s.jwks()["keys"]]
    assert set(kids) == {old_kid, rot["kid"]}
    assert kid_of(s.login()["access_token"]) == old_kid, "the old key signs until activation"
    assert s.get("/.well-known/jwks.json").headers["Cache-Control"] == "public, max-age=2"
    wait_for(lambda: kid_of(s.login()["access_token"]) == rot["kid"], timeout=5,
             what="the new key to start signing")


def test_two_replicas_share_keys_and_rotations(make_auth, tmp_path):
    a = make_auth(env={"MMX_AUTH_KEY_CACHE": "1s"}, data_dir=tmp_path)
    # The second replica: same database, same issuer (a load balancer's one URL).
    b = make_auth(env={"MMX_AUTH_KEY_CACHE": "1s", "MMX_AUTH_ISSUER": a.issuer},
                  data_dir=tmp_path)
    assert a.jwks() == b.jwks()
    t = a.login()
    assert b.get("/auth/userinfo", headers=bearer(t["access_token"])).status_code == 200
    rot = a.post("/auth/admin/keys/rotate", headers=a.admin()).json()
    wait_for(lambda: kid_of(b.login()["access_token"]) == rot["kid"], timeout=5,
             what="replica b to sign with a's new key")
    assert a.jwks() == b.jwks()
    assert b.get("/auth/userinfo", headers=bearer(t["access_token"])).status_code == 200
    # Exactly one first superuser and one first key between them.
    assert a.query("SELECT count(*) FROM users")[0][0] == 1
    assert a.query("SELECT count(*) FROM signing_keys")[0][0] == 2


def test_keys_are_stored_encrypted_and_a_wrong_secret_stops_start_up(make_auth, tmp_path):
    s = make_auth(data_dir=tmp_path)
    s.login()
    (kid, sealed), = s.query("SELECT kid, private_pem FROM signing_keys")
    assert sealed.startswith("v1:") and "PRIVATE KEY" not in sealed
    assert b"PRIVATE KEY" in s.signing_keys()[kid]
    raw = (tmp_path / "auth.db").read_bytes()
    assert b"BEGIN PRIVATE KEY" not in raw
    s.stop()
    p = run_micromax(["--listen", "127.0.0.1:0"],
                     {**auth_env(MMX_AUTH_KEY_ENCRYPTION_KEY="another secret"), "MMX_ENV": "local",
                      "MMX_DATA_DIR": str(tmp_path)}, timeout=30)
    assert p.returncode == 1 and "MMX_AUTH_KEY_ENCRYPTION_KEY" in p.stderr, p.stderr
    assert KEY_SECRET not in p.stdout + p.stderr
