"""PyJWT (an independent implementation) against shared/auth, both ways.

1. We sign; PyJWT verifies using only our JWKS document.
2. PyJWT signs (key from python3-cryptography, JWKS built by PyJWT); we verify.
3. Tokens we must refuse, made by other means: alg=none, HS256 keyed with the RSA public key
   (PEM and JWK), expired, wrong audience.

Usage: python3 pyjwt_interop.py PATH/TO/auth_jwt_tool
"""
import base64
import hashlib
import hmac
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

TOOL = sys.argv[1]
ISSUER = "http://127.0.0.1:8000"
AUDIENCE = "micromax"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ours_verify(jwks: dict, token: str):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "jwks.json").write_text(json.dumps(jwks))
        (Path(d) / "token").write_text(token)
        r = subprocess.run([TOOL, "verify", f"{d}/jwks.json", f"{d}/token", ISSUER, AUDIENCE],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 2:
            raise SystemExit(f"auth_jwt_tool failed: {r.stderr}")
        return r.returncode == 0, r.stdout.strip()


# 1. Ours -> PyJWT, with nothing but the JWKS document.
with tempfile.TemporaryDirectory() as d:
    subprocess.run([TOOL, "sign", d, ISSUER, AUDIENCE], check=True, timeout=60)
    jwks = json.loads((Path(d) / "jwks.json").read_text())
    token = (Path(d) / "token").read_text().strip()
header = jwt.get_unverified_header(token)
check(header == {"alg": "RS256", "typ": "JWT", "kid": "mmx-test-1"}, f"our header {header}")
keyset = jwt.PyJWKSet.from_dict(jwks)
key = next(k for k in keyset.keys if k.key_id == header["kid"])
claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER,
                    options={"require": ["exp", "iat", "iss", "aud", "sub"]})
check(claims["sub"] == "user-7" and claims["scope"] == "a:read b", "PyJWT verifies our token")
try:
    jwt.decode(token, key.key, algorithms=["RS256"], audience="someone-else", issuer=ISSUER)
    check(False, "PyJWT refuses our token for another audience")
except jwt.InvalidAudienceError:
    check(True, "PyJWT refuses our token for another audience")
tampered = token.split(".")
tampered[1] = b64url(json.dumps({**claims, "roles": ["admin"]}).encode())
try:
    jwt.decode(".".join(tampered), key.key, algorithms=["RS256"], audience=AUDIENCE)
    check(False, "PyJWT refuses our token with a tampered payload")
except jwt.InvalidSignatureError:
    check(True, "PyJWT refuses our token with a tampered payload")

# 2. PyJWT -> ours.
private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
public = private.public_key()
jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
jwk.update({"kid": "py-1", "alg": "RS256", "use": "sig"})
py_jwks = {"keys": [jwk, {"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": "AA", "y": "AA"}]}
now = int(time.time())
py_claims = {"iss": ISSUER, "sub": "svc-9", "client_id": "svc-9", "aud": [AUDIENCE, "x"],
             "exp": now + 600, "iat": now, "scope": "orders:read", "roles": []}
py_token = jwt.encode(py_claims, private, algorithm="RS256", headers={"kid": "py-1"})
ok, out = ours_verify(py_jwks, py_token)
check(ok and json.loads(out) == {"sub": "svc-9", "scopes": ["orders:read"], "roles": [],
                                 "is_service": True}, f"we verify PyJWT's token: {out}")

# 3. What we must refuse.
def refused(token, kind, what):
    ok, out = ours_verify(py_jwks, token)
    check(not ok and out == kind, f"{what}: {out}")

refused(jwt.encode(py_claims, None, algorithm="none", headers={"kid": "py-1"}),
        "unsupported_algorithm", "alg=none")
pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
for secret, name in ((pem, "PEM"), (json.dumps(jwk).encode(), "JWK")):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "py-1"}).encode())
    body = b64url(json.dumps(py_claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    refused(f"{head}.{body}.{b64url(mac)}", "unsupported_algorithm",
            f"HS256 keyed with the public key ({name})")
refused(jwt.encode({**py_claims, "exp": now - 3600}, private, algorithm="RS256",
                   headers={"kid": "py-1"}), "expired", "expired")
refused(jwt.encode({**py_claims, "aud": "elsewhere"}, private, algorithm="RS256",
                   headers={"kid": "py-1"}), "wrong_audience", "wrong audience")
refused(jwt.encode(py_claims, private, algorithm="RS256", headers={"kid": "nope"}),
        "unknown_key", "unknown kid")
refused(jwt.encode(py_claims, private, algorithm="RS512", headers={"kid": "py-1"}),
        "unsupported_algorithm", "RS512")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all PyJWT interop checks passed")
