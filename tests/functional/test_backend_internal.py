"""The backend's private API (/internal/v1) on SQLite and PostgreSQL: only for services (a
client_credentials token with the backend:internal scope, or MMX_BACKEND_API_KEY as
X-API-Key); the all-or-nothing bulk upsert of the catalog import with its own body limit;
order status transitions from payment and fulfilment; the counts. Every response is checked
against shared/contracts/backend.openapi.json."""
import json
import secrets

import pytest

from auth_fixtures import bearer


def problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    return r.json()


def pointers(p):
    return sorted(e.get("pointer") or e.get("parameter") for e in p["errors"])


def row(sku=None, **over):
    body = {"sku": sku or f"IMP-{secrets.token_hex(5)}", "name": "Imported", "description": "",
            "price_cents": 1500, "currency": "EUR", "stock": 7, "category": "import",
            "active": True}
    body.update(over)
    return body


@pytest.fixture(scope="module")
def svc(backend):
    """A service's client_credentials token with backend:internal (made once per server)."""
    return backend.service()


def upsert(backend, headers, products, **kw):
    return backend.api.put("/internal/v1/products", json={"products": products}, headers=headers,
                           **kw)


def in_category(backend, cat):
    r = backend.api.get("/api/v1/products", params={"category": cat, "limit": 100},
                        headers=backend.staff())
    assert r.status_code == 200, r.text
    return r.json()


def counts(backend, svc):
    r = backend.api.get("/internal/v1/counts", headers=svc)
    assert r.status_code == 200, r.text
    c = r.json()
    c["by_status"] = {s["status"]: s["orders"] for s in c["orders_by_status"]}
    return c


def place(backend, product, quantity=1, who="customer"):
    r = backend.order([{"product_id": product["id"], "quantity": quantity}],
                      headers=backend.customer(who))
    assert r.status_code == 201, r.text
    return r.json()


def move(backend, svc, order_id, status, **extra):
    return backend.api.post(f"/internal/v1/orders/{order_id}/status",
                            json={"status": status, **extra}, headers=svc)


# --- access --------------------------------------------------------------------------------

ROUTES = [("get", "/internal/v1/counts", None),
          ("put", "/internal/v1/products", {"products": []}),
          ("post", "/internal/v1/orders/1/status", {"status": "paid"})]


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[r[1] for r in ROUTES])
def test_only_services_with_the_internal_scope_get_in(backend, svc, method, path, body):
    call = lambda headers: getattr(backend.api, method)(path, json=body, headers=headers)
    r = call({})
    problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    problem(call(bearer("not.a.token")), 401)
    # Users are not services, whatever their role.
    assert problem(call(backend.customer()), 403)["type"] == "urn:micromax:problem:insufficient-scope"
    problem(call(backend.staff()), 403)
    problem(call(backend.admin()), 403)
    # A service, but without the scope.
    problem(call(backend.service(scopes=("orders:read",))), 403)
    r = call(svc)
    assert r.status_code != 401 and r.status_code != 403, r.text


def test_counts_with_a_service_token(backend, svc):
    c = counts(backend, svc)
    assert c["products"] >= c["active_products"] >= 0


def test_the_api_key_header_is_a_service_credential(make_backend):
    key = "k-" + secrets.token_hex(16)
    s = make_backend(env={"MMX_BACKEND_API_KEY": key})
    r = s.api.get("/internal/v1/counts", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    r = s.api.put("/internal/v1/products", json={"products": [row()]}, headers={"X-API-Key": key})
    assert r.status_code == 200 and r.json()["created"] == 1, r.text
    problem(s.api.get("/internal/v1/counts", headers={"X-API-Key": key + "x"}), 401)
    problem(s.api.get("/internal/v1/counts", headers={"X-API-Key": ""}), 401)
    # The key opens the private API only: the public writes still want a staff token.
    problem(s.api.post("/api/v1/products", json=row(), headers={"X-API-Key": key}), 401)
    assert key not in "\n".join(s.raw_lines()), "the API key was logged"


def test_without_a_configured_key_an_api_key_is_refused(backend):
    problem(backend.api.get("/internal/v1/counts", headers={"X-API-Key": "anything"}), 401)


# --- bulk upsert ---------------------------------------------------------------------------

def test_bulk_upsert_creates_updates_and_leaves_identical_rows(backend, svc):
    cat = "imp-" + secrets.token_hex(4)
    first = [row(category=cat, name=f"Row {i}", price_cents=100 + i) for i in range(3)]
    r = upsert(backend, svc, first)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["created"], out["updated"], out["unchanged"]) == (3, 0, 0)
    assert [(i["sku"], i["result"], i["version"]) for i in out["items"]] == \
        [(p["sku"], "created", 1) for p in first]
    ids = [i["id"] for i in out["items"]]
    assert len(set(ids)) == 3

    changed = {**first[1], "price_cents": 999, "stock": 0}
    fresh = row(category=cat, name="Row new")
    second = [fresh, first[2], changed, first[0]]
    out = upsert(backend, svc, second).json()
    assert (out["created"], out["updated"], out["unchanged"]) == (1, 1, 2)
    assert [(i["sku"], i["result"], i["version"]) for i in out["items"]] == [
        (fresh["sku"], "created", 1), (first[2]["sku"], "unchanged", 1),
        (changed["sku"], "updated", 2), (first[0]["sku"], "unchanged", 1)]
    assert [i["id"] for i in out["items"][1:]] == [ids[2], ids[1], ids[0]]

    # The public API shows the import.
    p = backend.product(ids[1])
    assert (p["price_cents"], p["stock"], p["version"]) == (999, 0, 2)
    assert backend.product(ids[0])["version"] == 1
    listed = in_category(backend, cat)
    assert listed["total"] == 4
    assert sorted(p["sku"] for p in listed["items"]) == sorted(x["sku"] for x in second)

    # The same call again changes nothing.
    again = upsert(backend, svc, second).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert backend.product(ids[1])["version"] == 2


def test_bulk_upsert_takes_defaults_and_updates_a_product_made_by_the_public_api(backend, svc):
    p = backend.new_product(stock=3)
    r = upsert(backend, svc, [{"sku": p["sku"], "name": "Renamed by import",
                               "price_cents": p["price_cents"], "currency": "EUR"}])
    assert r.status_code == 200, r.text
    item = r.json()["items"][0]
    assert (item["id"], item["result"], item["version"]) == (p["id"], "updated", 2)
    after = backend.product(p["id"])
    # Left-out members take their defaults, as in a PUT.
    assert (after["name"], after["stock"], after["category"], after["active"]) == \
        ("Renamed by import", 0, "", True)
    r = backend.api.get(f"/api/v1/products/{p['id']}")
    assert r.headers["ETag"] == '"2"'


def test_one_invalid_row_fails_the_whole_call_and_writes_nothing(backend, svc):
    cat = "bad-" + secrets.token_hex(4)
    existing = backend.new_product(category=cat, name="Before")
    rows = [row(category=cat), row(category=cat), {**row(category=cat), **{
                k: existing[k] for k in ("sku", "price_cents", "currency", "stock", "active")},
                "name": "Would be updated"},
            row(category=cat, currency="XYZ", price_cents=-1), row(category=cat)]
    p = problem(upsert(backend, svc, rows), 422)
    assert pointers(p) == ["/products/3/currency", "/products/3/price_cents"]
    listed = in_category(backend, cat)
    assert [x["sku"] for x in listed["items"]] == [existing["sku"]]
    assert backend.product(existing["id"]) == existing


def test_every_bad_field_of_every_row_is_named(backend, svc):
    rows = [row(), row(sku="has space"), row(name=""), row(stock=-1, extra=1)]
    p = problem(upsert(backend, svc, rows), 422)
    got = pointers(p)
    for where in ("/products/1/sku", "/products/2/name", "/products/3/stock", "/products/3/extra"):
        assert where in got, (where, got)
    assert not any(g.startswith("/products/0") for g in got), got
    problem(upsert(backend, svc, [{"sku": "x"}]), 422)
    problem(backend.api.put("/internal/v1/products", json={}, headers=svc), 422)
    problem(backend.api.put("/internal/v1/products", json=[row()], headers=svc), 422)


def test_a_repeated_sku_is_422_at_the_second_row_and_writes_nothing(backend, svc):
    cat = "dup-" + secrets.token_hex(4)
    a, b = row(category=cat), row(category=cat)
    p = problem(upsert(backend, svc, [a, b, {**a, "name": "again"}]), 422)
    assert pointers(p) == ["/products/2/sku"]
    assert "/products/0" in json.dumps(p["errors"]), p  # names the first occurrence
    assert in_category(backend, cat)["total"] == 0


def test_an_empty_import_is_a_no_op(backend, svc):
    r = upsert(backend, svc, [])
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 0, "updated": 0, "unchanged": 0, "items": []}


def test_more_rows_than_the_bulk_maximum_is_422_naming_products(make_backend):
    s = make_backend(env={"MMX_BACKEND_BULK_MAX": "5"})
    token = s.service()
    cat = "max-" + secrets.token_hex(4)
    p = problem(upsert(s, token, [row(category=cat) for _ in range(6)]), 422)
    assert pointers(p) == ["/products"]
    assert "5" in json.dumps(p["errors"])
    assert in_category(s, cat)["total"] == 0
    r = upsert(s, token, [row(category=cat) for _ in range(5)])
    assert r.status_code == 200 and r.json()["created"] == 5, r.text


def test_a_big_import_of_10000_products_over_the_default_body_limit(backend_sqlite):
    s = backend_sqlite
    token = s.service()
    before = s.api.get("/api/v1/products", params={"limit": 1}, headers=s.staff()).json()["total"]
    tag = secrets.token_hex(3)
    rows = [row(sku=f"BIG-{tag}-{i:05d}", name=f"Imported product number {i}",
                description="A product of the big import, with a description of some length.",
                price_cents=100 + i, stock=i % 50, category=f"big-{tag}-{i % 10}")
            for i in range(10_000)]
    body = json.dumps({"products": rows})
    assert len(body) > 1 << 20, "the import must be over the default 1 MiB body limit"
    r = s.api.put("/internal/v1/products", data=body,
                  headers={**token, "Content-Type": "application/json"}, timeout=120)
    assert r.status_code == 200, r.text[:500]
    out = r.json()
    assert (out["created"], out["updated"], out["unchanged"]) == (10_000, 0, 0)
    assert [i["sku"] for i in out["items"]] == [x["sku"] for x in rows]
    after = s.api.get("/api/v1/products", params={"limit": 1}, headers=s.staff()).json()["total"]
    assert after == before + 10_000
    assert s.backend_query("SELECT COUNT(*) FROM products WHERE sku LIKE ?",
                           f"BIG-{tag}-%") == [(10_000,)]


def test_the_bulk_body_limit_is_413_and_the_public_routes_keep_theirs(make_backend):
    s = make_backend(env={"MMX_BACKEND_BULK_BODY_LIMIT": "64KiB"})
    token = s.service()
    cat = "lim-" + secrets.token_hex(4)
    rows = [row(category=cat, description="d" * 500) for _ in range(200)]  # ~110 KB
    r = upsert(s, token, rows)
    assert problem(r, 413)["status"] == 413
    assert in_category(s, cat)["total"] == 0
    # Under it, fine (the bulk route's limit, not MMX_BODY_LIMIT, applies).
    assert upsert(s, token, rows[:50]).status_code == 200
    # The public routes keep MMX_BODY_LIMIT (1 MiB): 2 MiB is too much for them.
    big = row(description="x" * (2 << 20))
    problem(s.api.post("/api/v1/products", json=big, headers=s.staff()), 413)


def test_the_public_routes_keep_their_limit_while_the_bulk_route_takes_more(backend_sqlite):
    s = backend_sqlite
    # 2 MiB: under MMX_BACKEND_BULK_BODY_LIMIT (16 MiB), over MMX_BODY_LIMIT (1 MiB).
    big = row(description="x" * (2 << 20))
    problem(s.api.post("/api/v1/products", json=big, headers=s.staff()), 413)
    # The bulk route's own rules refuse the description (over 10,000 chars), not the size.
    p = problem(upsert(s, s.service(), [big]), 422)
    assert pointers(p) == ["/products/0/description"]


# --- order transitions ---------------------------------------------------------------------

def test_orders_move_pending_paid_shipped_delivered(backend, svc):
    prod = backend.new_product(stock=5, price_cents=250)
    o = place(backend, prod, quantity=2)
    assert (o["status"], o["version"], o["total_cents"]) == ("pending", 1, 500)
    version = 1
    for status in ("paid", "shipped", "delivered"):
        r = move(backend, svc, o["id"], status)
        assert r.status_code == 200, r.text
        got = r.json()
        version += 1
        assert (got["status"], got["version"], got["id"]) == (status, version, o["id"])
        assert got[f"{status}_at"] is not None
    final = backend.api.get(f"/api/v1/orders/{o['id']}", headers=backend.customer()).json()
    assert final["status"] == "delivered" and final["version"] == 4
    assert final["paid_at"] <= final["shipped_at"] <= final["delivered_at"]
    assert final.get("cancelled_at") is None
    # Nothing after delivered.
    for status in ("pending", "paid", "shipped", "cancelled"):
        problem(move(backend, svc, o["id"], status), 409)
    assert backend.product(prod["id"])["stock"] == 3


def test_repeating_the_current_status_is_a_no_op(backend, svc):
    o = place(backend, backend.new_product())
    r = move(backend, svc, o["id"], "pending")
    assert r.status_code == 200 and r.json()["version"] == 1, r.text
    paid = move(backend, svc, o["id"], "paid").json()
    assert paid["version"] == 2
    again = move(backend, svc, o["id"], "paid")
    assert again.status_code == 200, again.text
    assert again.json() == paid  # same version, same paid_at: nothing was written
    r = backend.api.get(f"/api/v1/orders/{o['id']}", headers=backend.customer()).json()
    assert r == paid


def test_skipping_a_status_is_409_and_changes_nothing(backend, svc):
    o = place(backend, backend.new_product())
    for status in ("shipped", "delivered"):
        p = problem(move(backend, svc, o["id"], status), 409)
        assert p.get("status") == 409
    r = backend.api.get(f"/api/v1/orders/{o['id']}", headers=backend.customer()).json()
    assert (r["status"], r["version"]) == ("pending", 1)


def test_a_cancellation_through_the_internal_api_restocks_and_keeps_the_reason(backend, svc):
    prod = backend.new_product(stock=4)
    o = place(backend, prod, quantity=3)
    assert backend.product(prod["id"])["stock"] == 1
    assert move(backend, svc, o["id"], "paid").status_code == 200
    r = move(backend, svc, o["id"], "cancelled", reason="payment refunded")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["cancel_reason"]) == ("cancelled", "payment refunded")
    assert backend.product(prod["id"])["stock"] == 4
    problem(move(backend, svc, o["id"], "paid"), 409)


def test_unknown_orders_are_404_and_bad_bodies_422(backend, svc):
    problem(move(backend, svc, 999_999_999, "paid"), 404)
    o = place(backend, backend.new_product())
    assert pointers(problem(move(backend, svc, o["id"], "refunded"), 422)) == ["/status"]
    problem(backend.api.post(f"/internal/v1/orders/{o['id']}/status", json={}, headers=svc), 422)
    problem(backend.api.post(f"/internal/v1/orders/{o['id']}/status", json={"status": 1},
                             headers=svc), 422)
    problem(backend.api.post("/internal/v1/orders/abc/status", json={"status": "paid"},
                             headers=svc), 422)
    problem(move(backend, svc, o["id"], "cancelled", reason=""), 422)
    r = backend.api.get(f"/api/v1/orders/{o['id']}", headers=backend.customer()).json()
    assert (r["status"], r["version"]) == ("pending", 1)


# --- counts --------------------------------------------------------------------------------

def test_counts_follow_products_and_orders(backend, svc):
    before = counts(backend, svc)
    a = backend.new_product(stock=5, price_cents=300)
    backend.new_product(stock=0, active=False)
    mid = counts(backend, svc)
    assert mid["products"] - before["products"] == 2
    assert mid["active_products"] - before["active_products"] == 1
    assert mid["out_of_stock"] - before["out_of_stock"] == 1
    assert mid["orders"] == before["orders"] and mid["revenue_cents"] == before["revenue_cents"]

    o1 = place(backend, a, quantity=2)  # 600
    place(backend, a, quantity=3)       # 900, takes the last units
    placed = counts(backend, svc)
    assert placed["orders"] - before["orders"] == 2
    assert placed["by_status"].get("pending", 0) - before["by_status"].get("pending", 0) == 2
    assert placed["out_of_stock"] - before["out_of_stock"] == 2
    assert placed["revenue_cents"] == before["revenue_cents"]  # pending is no revenue yet

    assert move(backend, svc, o1["id"], "paid").status_code == 200
    paid = counts(backend, svc)
    assert paid["orders"] == placed["orders"]
    assert paid["by_status"].get("paid", 0) - before["by_status"].get("paid", 0) == 1
    assert paid["by_status"]["pending"] == placed["by_status"]["pending"] - 1
    assert paid["revenue_cents"] - before["revenue_cents"] == 600
    assert sum(paid["by_status"].values()) == paid["orders"]
    by_status = {s["status"]: s for s in paid["orders_by_status"]}
    assert paid["revenue_cents"] == sum(by_status[s]["total_cents"]
                                        for s in ("paid", "shipped", "delivered") if s in by_status)
