"""HTTP client side of bench/auth.sh, against a running auth service (standard library only).

  setup URL ADMIN_EMAIL ADMIN_PASSWORD
      Signs the first superuser in, creates a customer account and a service client (grant
      client_credentials, scope orders:read) through the admin API, and prints them as shell
      assignments: USER_EMAIL USER_PASSWORD CLIENT_ID CLIENT_SECRET.
  access URL EMAIL PASSWORD
      Prints an access token of the account (password grant).
  password URL EMAIL PASSWORD N TOKENS_OUT
      N password grants one after the other on one keep-alive connection, each timed from
      the request's first byte sent to the answer's last byte read; writes the N refresh
      tokens (independent sign-ins: seeds of the refresh chains) to TOKENS_OUT, one a line,
      and prints  L|n|p50_ms|p90_ms|p99_ms|min_ms|max_ms|mean_ms  (percentiles by nearest rank).
"""
import http.client
import json
import math
import secrets
import shlex
import sys
import time
import urllib.parse


class Client:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def call(self, method, path, body=None, headers=None, form=None):
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, data

    def token(self, **form):
        status, data = self.call("POST", "/auth/token", form=form)
        if status != 200:
            sys.exit(f"POST /auth/token ({form.get('grant_type')}): {status} {data[:300]!r}")
        return json.loads(data)

    def login(self, email, password):
        return self.token(grant_type="password", username=email, password=password)

    def admin_post(self, admin_token, path, body):
        status, data = self.call("POST", path, body=body,
                                 headers={"Authorization": "Bearer " + admin_token})
        if status != 201:
            sys.exit(f"POST {path}: {status} {data[:300]!r}")
        return json.loads(data)


def setup(url, admin_email, admin_password):
    c = Client(url)
    admin = c.login(admin_email, admin_password)["access_token"]
    email = f"bench-{secrets.token_hex(4)}@example.com"
    password = "Bench-" + secrets.token_urlsafe(12)
    c.admin_post(admin, "/auth/admin/users",
                 {"email": email, "password": password, "full_name": "Bench User",
                  "roles": ["customer"]})
    client = c.admin_post(admin, "/auth/admin/clients",
                          {"name": "bench client", "grant_types": ["client_credentials"],
                           "scopes": ["orders:read"], "roles": []})
    for name, value in (("USER_EMAIL", email), ("USER_PASSWORD", password),
                        ("CLIENT_ID", client["client_id"]),
                        ("CLIENT_SECRET", client["client_secret"])):
        print(f"{name}={shlex.quote(value)}")


def percentile(sorted_values, p):
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[k - 1]


def password(url, email, pw, n, tokens_out):
    c = Client(url)
    c.login(email, pw)  # connection open, code paths warm; not counted
    ms, tokens = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        body = c.login(email, pw)
        ms.append((time.perf_counter() - t0) * 1000)
        tokens.append(body["refresh_token"])
    with open(tokens_out, "w") as f:
        f.write("\n".join(tokens) + "\n")
    s = sorted(ms)
    print("L|%d|%.1f|%.1f|%.1f|%.1f|%.1f|%.1f" % (
        n, percentile(s, 50), percentile(s, 90), percentile(s, 99), s[0], s[-1], sum(s) / n))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        setup(*args)
    elif cmd == "access":
        print(Client(args[0]).login(args[1], args[2])["access_token"])
    elif cmd == "password":
        password(args[0], args[1], args[2], int(args[3]), args[4])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
