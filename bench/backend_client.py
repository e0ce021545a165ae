"""HTTP and SQLite side of bench/backend.sh (standard library only).

  setup URL ADMIN_EMAIL ADMIN_PASSWORD JWKS_OUT
      Signs the first superuser in, creates a customer and a staff account through the auth
      service's admin API, writes the JWKS document (/.well-known/jwks.json) to JWKS_OUT and
      prints shell assignments: CUSTOMER_TOKEN STAFF_TOKEN ISSUER (the `iss` of the tokens).
  catalog-api URL STAFF_TOKEN N
      Creates the benchmark catalog (N products) through the staff API, POST /api/v1/products.
  catalog-sql DB N
      The same catalog as SQL INSERTs into a migrated backend.db (when there is no staff API).
  catalog-check URL STAFF_TOKEN N
      Exits non-zero unless the service lists exactly the N benchmark products (staff view).
  catalog-pg POSTGRES_URL N
      The same catalog as SQL INSERTs into the service's PostgreSQL database (psycopg2).
  snapshot SRC DST
      A consistent copy of SQLite file SRC (its WAL included) at DST, by SQLite's backup API.
  ids DB
      Prints the ids of the active products, comma separated (what wrk requests cycle over);
      DB is a SQLite file or a postgresql:// URL.
  order-stats DB
      Prints  orders|units  : the orders in the database and the units taken from the
      benchmark products' stock (sum of 10^9 - stock); DB is sqlite:PATH or a postgresql:// URL.
  pg-env POSTGRES_URL
      Prints the URL's parts as shell assignments PG_HOST PG_PORT PG_USER PG_PASSWORD.
  compare URL_A URL_B CUSTOMER_TOKEN STAFF_TOKEN DB
      GETs every product and several list pages from both services, with the customer's,
      the staff's and no token, and checks status, body and ETag agree; plus If-None-Match
      (304), an inactive product (404 for a customer) and a tampered token (401). Prints one
      line of findings; exits 1 at the first disagreement.

The catalog is deterministic: product i has sku BENCH-iiiii, one of 8 categories, a price,
stock 10^9 (orders never run out), and every 10th is inactive.
"""
import base64
import http.client
import json
import secrets
import shlex
import sqlite3
import sys
import urllib.parse

CATEGORIES = ["books", "music", "garden", "kitchen", "toys", "sports", "office", "games"]
ADJECTIVES = ["Classic", "Compact", "Deluxe", "Eco", "Handmade", "Modern", "Rugged", "Smart"]
NOUNS = ["Lamp", "Kettle", "Backpack", "Notebook", "Chair", "Speaker", "Puzzle", "Racket"]
STOCK = 10**9


def product(i):
    return {
        "sku": f"BENCH-{i:05d}",
        "name": f"{ADJECTIVES[i % 8]} {NOUNS[(i // 8) % 8]} {i}",
        "description": (f"Benchmark product {i}: a {ADJECTIVES[(i + 3) % 8].lower()} "
                        f"{NOUNS[(i + 5) % 8].lower()} for the {CATEGORIES[i % 8]} aisle, "
                        "sturdy, light and easy to clean; ships in two days."),
        "price_cents": 199 + (i * 7919) % 50000,
        "currency": "EUR",
        "stock": STOCK,
        "category": CATEGORIES[i % 8],
        "active": i % 10 != 0,
    }


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
        return r.status, r.read(), r

    def json_call(self, method, path, expect, **kw):
        status, data, _ = self.call(method, path, **kw)
        if status != expect:
            sys.exit(f"{method} {path}: {status} {data[:400]!r}")
        return json.loads(data) if data else None

    def login(self, email, password):
        return self.json_call("POST", "/auth/token", 200, form={
            "grant_type": "password", "username": email, "password": password})["access_token"]


def bearer(token):
    return {"Authorization": "Bearer " + token} if token else {}


def setup(url, admin_email, admin_password, jwks_out):
    c = Client(url)
    admin = c.login(admin_email, admin_password)
    out = {}
    for var, role in (("CUSTOMER_TOKEN", "customer"), ("STAFF_TOKEN", "staff")):
        email = f"bench-{role}-{secrets.token_hex(4)}@example.com"
        password = "Bench-" + secrets.token_urlsafe(12)
        c.json_call("POST", "/auth/admin/users", 201, headers=bearer(admin),
                    body={"email": email, "password": password, "full_name": f"Bench {role}",
                          "roles": [role]})
        out[var] = c.login(email, password)
    jwks = c.json_call("GET", "/.well-known/jwks.json", 200)
    with open(jwks_out, "w") as f:
        json.dump(jwks, f)
    payload = out["CUSTOMER_TOKEN"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    out["ISSUER"] = claims["iss"]
    for k, v in out.items():
        print(f"{k}={shlex.quote(v)}")


def catalog_api(url, staff_token, n):
    c = Client(url)
    for i in range(1, n + 1):
        c.json_call("POST", "/api/v1/products", 201, headers=bearer(staff_token), body=product(i))


def catalog_sql(db, n):
    conn = sqlite3.connect(db)
    rows = [r[:7] + (int(r[7]),) + r[8:] for r in catalog_rows(n)]
    with conn:
        conn.executemany(
            "INSERT INTO products (sku, name, description, price_cents, currency, stock, "
            "category, active, created_at, updated_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", rows)
    conn.close()


def catalog_rows(n):
    for i in range(1, n + 1):
        p = product(i)
        t = f"2026-11-24T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"
        yield (p["sku"], p["name"], p["description"], p["price_cents"], p["currency"],
               p["stock"], p["category"], p["active"], t, t)


def catalog_pg(url, n):
    import psycopg2
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO products (sku, name, description, price_cents, currency, stock, "
            "category, active, created_at, updated_at, version) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)", list(catalog_rows(n)))
    conn.close()


def query(db, sql):
    """Rows of SQL on a SQLite file (path or sqlite:path) or a postgresql:// URL."""
    if db.startswith("postgresql://"):
        import psycopg2
        conn = psycopg2.connect(db)
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            rows = cur.fetchall()
        conn.close()
        return rows
    conn = sqlite3.connect(db.removeprefix("sqlite:"))
    rows = conn.execute(sql).fetchall()
    conn.close()
    return rows


def order_stats(db):
    orders = query(db, "SELECT count(*) FROM orders")[0][0]
    units = query(db, f"SELECT coalesce(sum({STOCK} - stock), 0) FROM products "
                      "WHERE sku LIKE 'BENCH-%'")[0][0]
    print(f"{orders}|{units}")


def pg_env(url):
    u = urllib.parse.urlsplit(url)
    for k, v in (("PG_HOST", u.hostname), ("PG_PORT", str(u.port or 5432)),
                 ("PG_USER", urllib.parse.unquote(u.username or "")),
                 ("PG_PASSWORD", urllib.parse.unquote(u.password or ""))):
        print(f"{k}={shlex.quote(v)}")


def catalog_check(url, staff_token, n):
    page = Client(url).json_call("GET", "/api/v1/products?limit=1", 200,
                                 headers=bearer(staff_token))
    if page.get("total") != n:
        sys.exit(f"the service lists {page.get('total')} products (staff view), expected {n}")


def snapshot(src, dst):
    s, d = sqlite3.connect(src), sqlite3.connect(dst)
    with d:
        s.backup(d)
    d.close()
    s.close()


def active_ids(db):
    return [r[0] for r in query(db, "SELECT id FROM products WHERE active ORDER BY id")]


def ordered(data):
    """JSON with objects as lists of pairs: equality then includes key order."""
    return json.loads(data, object_pairs_hook=list)


def compare(url_a, url_b, customer, staff, db):
    a, b = Client(url_a), Client(url_b)
    conn = sqlite3.connect(db)
    all_ids = [r[0] for r in conn.execute("SELECT id FROM products ORDER BY id")]
    inactive = [r[0] for r in conn.execute("SELECT id FROM products WHERE NOT active ORDER BY id")]
    total = len(all_ids)
    conn.close()
    checked, ok200, byte_equal = 0, 0, 0

    def same(path, token, headers=None, expect=None):
        nonlocal checked, ok200, byte_equal
        h = dict(bearer(token), **(headers or {}))
        sa, da, ra = a.call("GET", path, headers=h)
        sb, db_, rb = b.call("GET", path, headers=h)
        who = "staff" if token == staff else "customer" if token == customer else \
            "no token" if not token else "other token"
        where = f"GET {path} ({who})"
        if sa != sb:
            sys.exit(f"{where}: status {sa} from {url_a}, {sb} from {url_b}: {da[:200]!r} / {db_[:200]!r}")
        if expect is not None and sa != expect:
            sys.exit(f"{where}: status {sa}, expected {expect}: {da[:200]!r}")
        if ra.getheader("ETag") != rb.getheader("ETag"):
            sys.exit(f"{where}: ETag {ra.getheader('ETag')} vs {rb.getheader('ETag')}")
        ct_a = (ra.getheader("Content-Type") or "").split(";")[0]
        ct_b = (rb.getheader("Content-Type") or "").split(";")[0]
        if ct_a != ct_b:
            sys.exit(f"{where}: Content-Type {ct_a} vs {ct_b}")
        if sa == 200:
            if ordered(da) != ordered(db_):
                sys.exit(f"{where}: bodies differ:\n  {da[:600]!r}\n  {db_[:600]!r}")
            ok200 += 1
            byte_equal += da == db_
        checked += 1
        return sa, da, ra

    for pid in all_ids:
        same(f"/api/v1/products/{pid}", customer, expect=404 if pid in inactive else 200)
    for pid in all_ids[:50] + inactive[:10]:
        same(f"/api/v1/products/{pid}", staff, expect=200)
        same(f"/api/v1/products/{pid}", None, expect=404 if pid in inactive else 200)
    for limit, offset in ((20, 0), (20, 20), (100, 0), (7, 333), (20, total)):
        for token in (customer, staff, None):
            same(f"/api/v1/products?limit={limit}&offset={offset}", token, expect=200)
    _, body, r = same("/api/v1/products?limit=20", customer, expect=200)
    page = json.loads(body)
    if len(page["items"]) != 20 or page["total"] != total - len(inactive):
        sys.exit(f"list: {len(page['items'])} items, total {page['total']}: not the catalog")
    first = all_ids[0]
    _, _, r = same(f"/api/v1/products/{first}", customer, expect=200)
    etag = r.getheader("ETag")
    if not etag:
        sys.exit(f"GET /api/v1/products/{first}: no ETag")
    same(f"/api/v1/products/{first}", customer, {"If-None-Match": etag}, expect=304)
    same(f"/api/v1/products/{first}", customer, {"If-None-Match": '"0"'}, expect=200)
    head, payload, sig = customer.split(".")
    tampered = f"{head}.{payload}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
    same(f"/api/v1/products/{first}", tampered, expect=401)
    same("/api/v1/products?limit=20", tampered, expect=401)
    same("/api/v1/products/999999", customer, expect=404)
    print(f"{checked} requests answered alike (status, ETag, Content-Type); of the {ok200} "
          f"200 bodies {byte_equal} byte-identical, the rest JSON-equal with keys in order")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        setup(*args)
    elif cmd == "catalog-api":
        catalog_api(args[0], args[1], int(args[2]))
    elif cmd == "catalog-sql":
        catalog_sql(args[0], int(args[1]))
    elif cmd == "catalog-check":
        catalog_check(args[0], args[1], int(args[2]))
    elif cmd == "catalog-pg":
        catalog_pg(args[0], int(args[1]))
    elif cmd == "order-stats":
        order_stats(args[0])
    elif cmd == "pg-env":
        pg_env(args[0])
    elif cmd == "snapshot":
        snapshot(*args)
    elif cmd == "ids":
        print(",".join(str(i) for i in active_ids(args[0])))
    elif cmd == "compare":
        compare(*args)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
