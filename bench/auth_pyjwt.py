"""PyJWT's verification rate of the tokens auth_bench verified: the Python stack's baseline.

What a FastAPI service does per request with PyJWT (python3-jwt): jwt.decode with an RS256
key made once from the JWKS (jwt.PyJWK), checking the signature, exp/nbf/iat, aud and iss.
One thread (one core), round-robin over the distinct tokens, for DURATION_MS after a
warm-up, ROUNDS times; prints  P|ops_per_s|us_per_op|rounds(ops/s,...)|pyjwt version|cryptography version

Usage: auth_pyjwt.py TOKENS_FILE JWKS_FILE ISSUER AUDIENCE DURATION_MS WARMUP_MS ROUNDS
"""
import json
import sys
import time

import cryptography
import jwt


def main():
    tokens_file, jwks_file, issuer, audience = sys.argv[1:5]
    duration_ms, warmup_ms, rounds = (int(v) for v in sys.argv[5:8])
    with open(tokens_file) as f:
        tokens = [line.strip() for line in f if line.strip()]
    with open(jwks_file) as f:
        jwks = json.load(f)
    keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"]}

    def verify(token):
        kid = jwt.get_unverified_header(token)["kid"]
        return jwt.decode(token, keys[kid], algorithms=["RS256"], audience=audience,
                          issuer=issuer, leeway=30)

    for t in tokens:  # every token verifies, or the figure means nothing
        if not verify(t)["sub"]:
            sys.exit("a token has no sub")

    def run(ms):
        n, i = 0, 0
        end = time.perf_counter() + ms / 1000
        t0 = time.perf_counter()
        while True:
            for _ in range(16):
                verify(tokens[i % len(tokens)])
                i += 1
            n += 16
            if time.perf_counter() >= end:
                break
        return n / (time.perf_counter() - t0)

    if warmup_ms > 0:
        run(warmup_ms)
    results = [run(duration_ms) for _ in range(rounds)]
    median = sorted(results)[len(results) // 2]
    print("P|%.0f|%.3f|%s|%s|%s" % (median, 1e6 / median, ",".join("%.0f" % r for r in results),
                                    jwt.__version__, cryptography.__version__))


if __name__ == "__main__":
    main()
