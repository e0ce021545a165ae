"""The auth service against its committed contract (shared/contracts/auth.openapi.json): the
contract is what `micromax openapi --target auth` prints anywhere, with nothing configured,
it is what the running service serves at /openapi.json, and every response of the main
endpoints, successes and errors, validates against it (tests/functional/contract.py)."""
import base64
import json
import os
import secrets
import uuid

import pytest

from auth_fixtures import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, run_micromax
from contract import CONTRACTS, ContractClient

COMMITTED = CONTRACTS / "auth.openapi.json"


def basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_openapi_command_needs_no_secret_database_or_data_dir(tmp_path):
    """Production, no key-encryption key, an issuer that is https (the verifier would refuse it
    at start-up) and a data dir that does not exist: the document still comes out, the same
    bytes as the committed contract on every run, and nothing is written anywhere."""
    data_dir = tmp_path / "data"
    env = {"MMX_ENV": "production", "MMX_DATA_DIR": str(data_dir),
           "MMX_AUTH_ISSUER": "https://id.example.com", "MMX_LISTEN": "10.1.2.3:9999",
           "HOME": str(tmp_path)}
    first = run_micromax(["openapi", "--target", "auth"], env)
    assert first.returncode == 0, first.stderr
    second = run_micromax(["openapi", "--target", "auth"], {**env, "MMX_ENV": "staging"})
    assert second.stdout == first.stdout
    assert first.stdout == COMMITTED.read_text(), \
        "stale contract: run scripts/update-contracts.sh (ctest contracts.openapi_up_to_date.auth)"
    assert not data_dir.exists() and os.listdir(tmp_path) == []
    for leak in ("id.example.com", "10.1.2.3", "9999", str(tmp_path)):
        assert leak not in first.stdout


def test_the_served_document_is_the_committed_contract(auth_sqlite):
    served = auth_sqlite.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(COMMITTED.read_text())


@pytest.fixture(scope="module")
def api(auth):
    return ContractClient(auth.url, "auth")


def test_every_operation_answers_as_its_contract_says(auth, api):
    # Operational endpoints.
    for path in ("/healthz", "/readyz", "/version", "/metrics", "/openapi.json",
                 "/.well-known/openid-configuration", "/.well-known/jwks.json"):
        assert api.get(path).status_code == 200, path

    # Sign-up, sign-in, refresh, the signed-in user.
    email = f"contract-{secrets.token_hex(4)}@example.com"
    r = api.post("/auth/signup", json={"email": email, "password": "Passw0rd-contract",
                                       "full_name": "Contract Test"})
    assert r.status_code == 201, r.text
    assert api.post("/auth/signup", json={"email": email, "password": "Passw0rd-contract",
                                          "full_name": "Again"}).status_code == 409
    assert api.post("/auth/signup", json={"email": "nope", "password": "x"}).status_code == 422
    tokens = api.post("/auth/token", data={"grant_type": "password", "username": email,
                                           "password": "Passw0rd-contract"}).json()
    assert api.post("/auth/token", data={"grant_type": "password", "username": email,
                                         "password": "wrong-password"}).status_code == 400
    assert api.post("/auth/token", data={"grant_type": "nope"}).status_code == 400
    refreshed = api.post("/auth/token", data={"grant_type": "refresh_token",
                                              "refresh_token": tokens["refresh_token"]}).json()
    me = bearer(refreshed["access_token"])
    assert api.get("/auth/userinfo", headers=me).status_code == 200
    assert api.get("/auth/userinfo").status_code == 401
    assert api.get("/auth/users/me", headers=me).json()["email"] == email
    assert api.patch("/auth/users/me", headers=me, json={"full_name": "Renamed"}).status_code == 200
    assert api.post("/auth/users/me/password", headers=me,
                    json={"current_password": "wrong", "new_password": "Passw0rd-contract-2"}
                    ).status_code == 422
    assert api.post("/auth/users/me/password", headers=me,
                    json={"current_password": "Passw0rd-contract",
                          "new_password": "Passw0rd-contract-2"}).status_code == 204
    assert api.post("/auth/password-recovery", json={"email": email}).status_code == 202
    assert api.post("/auth/password-reset", json={"token": "not-a-token",
                                                  "new_password": "Passw0rd-contract-3"}
                    ).status_code == 400
    assert api.get("/auth/admin/users", headers=me).status_code == 403

    # Administration, as the first superuser.
    admin = bearer(api.post("/auth/token", data={"grant_type": "password", "username": ADMIN_EMAIL,
                                                 "password": ADMIN_PASSWORD}).json()["access_token"])
    assert api.get("/auth/admin/users", headers=admin, params={"q": "contract-"}).status_code == 200
    assert api.get("/auth/admin/users", headers=admin, params={"limit": 0}).status_code == 422
    r = api.post("/auth/admin/users", headers=admin,
                 json={"email": f"staff-{secrets.token_hex(4)}@example.com",
                       "password": "Passw0rd-contract", "full_name": "Staff", "roles": ["staff"]})
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    assert api.get(f"/auth/admin/users/{uid}", headers=admin).status_code == 200
    assert api.get(f"/auth/admin/users/{uuid.uuid4()}", headers=admin).status_code == 404
    assert api.patch(f"/auth/admin/users/{uid}", headers=admin, json={"full_name": "S"}).status_code == 200
    assert api.put(f"/auth/admin/users/{uid}/roles", headers=admin,
                   json={"roles": ["customer"]}).status_code == 200
    assert api.put(f"/auth/admin/users/{uid}/roles", headers=admin,
                   json={"roles": ["nope"]}).status_code == 422
    assert api.post(f"/auth/admin/users/{uid}/logout", headers=admin).status_code == 204
    assert api.post(f"/auth/admin/users/{uid}/disable", headers=admin).status_code == 200
    assert api.get("/auth/admin/roles", headers=admin).status_code == 200

    # Service clients: CRUD, then the grants and endpoints that authenticate them.
    r = api.post("/auth/admin/clients", headers=admin,
                 json={"name": "contract client", "grant_types": ["client_credentials"],
                       "scopes": ["orders:read"], "roles": []})
    assert r.status_code == 201, r.text
    client = r.json()
    cid = client["client_id"]
    assert api.get("/auth/admin/clients", headers=admin).status_code == 200
    assert api.get(f"/auth/admin/clients/{cid}", headers=admin).status_code == 200
    assert api.get("/auth/admin/clients/no-such-client", headers=admin).status_code == 404
    assert api.patch(f"/auth/admin/clients/{cid}", headers=admin,
                     json={"name": "renamed"}).status_code == 200
    secret = api.post(f"/auth/admin/clients/{cid}/secret", headers=admin).json()["client_secret"]
    creds = basic(cid, secret)
    r = api.post("/auth/token", data={"grant_type": "client_credentials"}, headers=creds)
    assert r.status_code == 200, r.text
    assert api.post("/auth/token", data={"grant_type": "client_credentials"},
                    headers=basic(cid, "wrong")).status_code == 401
    assert api.post("/auth/introspect", data={"token": refreshed["access_token"]},
                    headers=creds).json()["active"] is True
    assert api.post("/auth/introspect", data={"token": "x"}).status_code == 401
    assert api.post("/auth/revoke", data={"token": refreshed["refresh_token"]}).status_code == 200
    assert api.post("/auth/logout", data={"refresh_token": "unknown"}).status_code == 204
    assert api.delete(f"/auth/admin/clients/{cid}", headers=admin).status_code == 204

    # Audit trail and keys.
    assert api.get("/auth/admin/audit", headers=admin, params={"limit": 5}).status_code == 200
    assert api.get("/auth/admin/keys", headers=admin).status_code == 200
    assert api.post("/auth/admin/keys/rotate", headers=admin).status_code == 200
    assert api.get("/auth/admin/keys", headers=admin).status_code == 200

    # The router's own errors: unknown path, wrong method.
    assert api.get("/auth/nowhere").status_code == 404
    assert api.delete("/auth/token").status_code == 405
    assert api.uncovered() == [], "operations this test does not reach yet"
