"""Orders (/api/v1/orders) on SQLite and PostgreSQL: prices from the catalog, stock reserved
atomically (never negative, never oversold, also under 50 concurrent buyers), an
Idempotency-Key that never makes a second order (also under 20 concurrent retries), the
status machine, and who may see what. Responses are checked against the committed contract."""
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from auth_fixtures import bearer


def problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


def pointers(p):
    return sorted(e.get("pointer") or e.get("parameter") for e in p["errors"])


def test_prices_and_totals_come_from_the_catalog(backend):
    a = backend.new_product(price_cents=1250, stock=5)
    b = backend.new_product(price_cents=399, stock=5)
    r = backend.order([{"product_id": a["id"], "quantity": 2}, {"product_id": b["id"], "quantity": 3}])
    assert r.status_code == 201, r.text
    o = r.json()
    assert r.headers["Location"] == f"/api/v1/orders/{o['id']}"
    assert o["status"] == "pending" and o["currency"] == "EUR" and o["version"] == 1
    assert o["total_cents"] == 2 * 1250 + 3 * 399
    assert [(l["sku"], l["unit_price_cents"], l["line_total_cents"]) for l in o["lines"]] == \
        [(a["sku"], 1250, 2500), (b["sku"], 399, 1197)]
    assert backend.product(a["id"])["stock"] == 3 and backend.product(b["id"])["stock"] == 2
    # A client cannot name its own price: unknown members are refused.
    r = backend.order([{"product_id": a["id"], "quantity": 1, "unit_price_cents": 1}])
    assert "/lines/0/unit_price_cents" in pointers(problem(r, 422))


def test_not_enough_stock_is_409_and_nothing_is_reserved(backend):
    a = backend.new_product(stock=5)
    b = backend.new_product(stock=1)
    r = backend.order([{"product_id": a["id"], "quantity": 2}, {"product_id": b["id"], "quantity": 2}])
    p = problem(r, 409)
    assert p["product_id"] == b["id"] and p["available"] == 1
    assert backend.product(a["id"])["stock"] == 5, "the first line's reservation was not undone"
    assert backend.product(b["id"])["stock"] == 1


def test_bad_orders_are_422_naming_every_bad_line(backend):
    ok = backend.new_product()
    hidden = backend.new_product(active=False)
    usd = backend.new_product(currency="USD")
    r = backend.order([{"product_id": ok["id"], "quantity": 1}, {"product_id": 999999999, "quantity": 1},
                       {"product_id": hidden["id"], "quantity": 1}, {"product_id": usd["id"], "quantity": 1}])
    assert pointers(problem(r, 422)) == ["/lines/1/product_id", "/lines/2/product_id", "/lines/3/product_id"]
    assert backend.product(ok["id"])["stock"] == 10
    r = backend.order([{"product_id": ok["id"], "quantity": 1}, {"product_id": ok["id"], "quantity": 2}])
    assert pointers(problem(r, 422)) == ["/lines/1/product_id"]
    assert pointers(problem(backend.order([]), 422)) == ["/lines"]
    r = backend.order([{"product_id": 0, "quantity": 0}, {"product_id": ok["id"], "quantity": 1001}])
    assert pointers(problem(r, 422)) == ["/lines/0/product_id", "/lines/0/quantity", "/lines/1/quantity"]
    too_many = [{"product_id": i + 1, "quantity": 1} for i in range(101)]
    assert pointers(problem(backend.order(too_many), 422)) == ["/lines"]
    r = backend.api.post("/api/v1/orders", data="{", headers={**backend.customer(), "Content-Type": "application/json"})
    problem(r, 422)


def test_orders_need_a_user_token(backend):
    p = backend.new_product()
    line = [{"product_id": p["id"], "quantity": 1}]
    problem(backend.api.post("/api/v1/orders", json={"lines": line}), 401)
    problem(backend.order(line, headers=bearer("forged.token.here")), 401)
    assert "service token" in problem(backend.order(line, headers=backend.service()), 403)["detail"]
    assert backend.product(p["id"])["stock"] == 10


def test_an_idempotency_key_returns_the_same_order(backend):
    p = backend.new_product(stock=10)
    key = {"Idempotency-Key": secrets.token_hex(8)}
    line = [{"product_id": p["id"], "quantity": 2}]
    first = backend.order(line, extra=key)
    again = backend.order(line, extra=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert backend.product(p["id"])["stock"] == 8
    # The same key with other lines is a different request: refused, not replayed.
    r = backend.order([{"product_id": p["id"], "quantity": 3}], extra=key)
    assert problem(r, 422)["type"] == "urn:micromax:problem:idempotency-key-reused"
    # Keys are per user: another customer's identical key is a new order.
    other = backend.order(line, headers=backend.customer("other"), extra=key)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    for bad in ("", "x" * 256, "caf\u00e9".encode().decode("latin-1")):
        r = backend.order(line, extra={"Idempotency-Key": bad})
        assert problem(r, 422)["errors"][0]["parameter"] == "Idempotency-Key", bad
    assert backend.product(p["id"])["stock"] == 6


def test_fifty_buyers_for_ten_units_exactly_ten_succeed(backend):
    p = backend.new_product(stock=10)
    tokens = [backend.customer(f"buyer-{i % 5}") for i in range(5)]

    def buy(i):
        return requests.post(backend.url + "/api/v1/orders", timeout=30, headers=tokens[i % 5],
                             json={"lines": [{"product_id": p["id"], "quantity": 1}]})

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(buy, range(50)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 10 and codes.count(409) == 40, codes
    assert backend.product(p["id"])["stock"] == 0
    orders = backend.api.get("/api/v1/orders", params={"limit": 100},
                             headers=backend.staff()).json()["items"]
    mine = [o for o in orders if o["lines"][0]["product_id"] == p["id"]]
    assert len(mine) == 10


def test_twenty_concurrent_retries_with_one_key_make_one_order(backend):
    p = backend.new_product(stock=100)
    headers = {**backend.customer("retrier"), "Idempotency-Key": secrets.token_hex(8)}

    def place(_):
        return requests.post(backend.url + "/api/v1/orders", timeout=30, headers=headers,
                             json={"lines": [{"product_id": p["id"], "quantity": 3}]})

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(place, range(20)))
    assert [r.status_code for r in results] == [201] * 20, [r.text for r in results if r.status_code != 201]
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(1 for r in results if "Idempotent-Replayed" not in r.headers) == 1
    assert backend.product(p["id"])["stock"] == 97


def test_customers_see_only_their_own_orders_staff_see_all(backend):
    p = backend.new_product(stock=50)
    mine = backend.order([{"product_id": p["id"], "quantity": 1}], headers=backend.customer("me")).json()
    theirs = backend.order([{"product_id": p["id"], "quantity": 1}], headers=backend.customer("them")).json()
    me, them = backend.customer("me"), backend.customer("them")
    listed = backend.api.get("/api/v1/orders", headers=me).json()
    assert {o["user_id"] for o in listed["items"]} == {mine["user_id"]}
    assert backend.api.get(f"/api/v1/orders/{mine['id']}", headers=me).json() == mine
    problem(backend.api.get(f"/api/v1/orders/{theirs['id']}", headers=me), 404)
    problem(backend.api.get("/api/v1/orders", params={"user_id": theirs["user_id"]}, headers=me), 403)
    problem(backend.api.get("/api/v1/orders"), 401)
    staff = backend.api.get("/api/v1/orders", params={"user_id": theirs["user_id"]},
                            headers=backend.staff()).json()
    assert [o["id"] for o in staff["items"]] == [theirs["id"]] and staff["total"] == 1
    assert backend.api.get(f"/api/v1/orders/{theirs['id']}", headers=backend.staff()).json() == theirs
    problem(backend.api.get("/api/v1/orders", params={"status": "lost", "limit": 500},
                            headers=backend.staff()), 422)


def test_status_machine_for_staff(backend):
    p = backend.new_product(stock=5)
    o = backend.order([{"product_id": p["id"], "quantity": 1}]).json()
    url = f"/api/v1/orders/{o['id']}/status"
    staff = backend.staff()
    assert problem(backend.api.post(url, json={"status": "shipped"}, headers=staff), 409)["status"] == 409
    problem(backend.api.post(url, json={"status": "paid"}, headers=backend.customer()), 403)
    problem(backend.api.post(url, json={"status": "teleported"}, headers=staff), 422)
    for status in ("paid", "shipped", "delivered"):
        r = backend.api.post(url, json={"status": status}, headers=staff)
        assert r.status_code == 200 and r.json()["status"] == status, r.text
        assert r.json()[f"{status}_at"]
    done = r.json()
    assert done["version"] == 4
    again = backend.api.post(url, json={"status": "delivered"}, headers=staff)
    assert again.json() == done, "a repeated transition is a no-op"
    problem(backend.api.post(f"/api/v1/orders/{o['id']}/cancel", json={}, headers=staff), 409)
    problem(backend.api.post("/api/v1/orders/999999999/status", json={"status": "paid"}, headers=staff), 404)
    filtered = backend.api.get("/api/v1/orders", params={"status": "delivered"}, headers=staff).json()
    assert o["id"] in [x["id"] for x in filtered["items"]]
    assert all(x["status"] == "delivered" for x in filtered["items"])


def test_cancelling_returns_the_stock(backend):
    p = backend.new_product(stock=5)
    me = backend.customer("canceller")
    o = backend.order([{"product_id": p["id"], "quantity": 4}], headers=me).json()
    assert backend.product(p["id"])["stock"] == 1
    problem(backend.api.post(f"/api/v1/orders/{o['id']}/cancel", json={}, headers=backend.customer("stranger")), 404)
    r = backend.api.post(f"/api/v1/orders/{o['id']}/cancel", json={"reason": "Found it cheaper"}, headers=me)
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["status"] == "cancelled" and c["cancel_reason"] == "Found it cheaper" and c["cancelled_at"]
    assert backend.product(p["id"])["stock"] == 5
    # Cancelling twice changes nothing, and does not restock twice.
    assert backend.api.post(f"/api/v1/orders/{o['id']}/cancel", headers=me).json() == c
    assert backend.product(p["id"])["stock"] == 5
    problem(backend.api.post(f"/api/v1/orders/{o['id']}/cancel", json={"reason": ""}, headers=me), 422)
    # A paid order can be cancelled too, by staff.
    o2 = backend.order([{"product_id": p["id"], "quantity": 2}], headers=me).json()
    backend.api.post(f"/api/v1/orders/{o2['id']}/status", json={"status": "paid"}, headers=backend.staff())
    r = backend.api.post(f"/api/v1/orders/{o2['id']}/cancel", headers=backend.staff())
    assert r.json()["status"] == "cancelled" and backend.product(p["id"])["stock"] == 5


def test_orders_keep_their_lines_when_a_product_is_deleted(backend):
    p = backend.new_product(stock=5, price_cents=777)
    o = backend.order([{"product_id": p["id"], "quantity": 1}]).json()
    r = backend.api.delete(f"/api/v1/products/{p['id']}", headers={**backend.staff(), "If-Match": '"2"'})
    assert r.status_code == 204, r.text
    kept = backend.api.get(f"/api/v1/orders/{o['id']}", headers=backend.customer()).json()
    assert kept["lines"] == o["lines"] and kept["total_cents"] == 777
    # Cancelling restocks nothing that is gone, and still succeeds.
    assert backend.api.post(f"/api/v1/orders/{o['id']}/cancel", headers=backend.customer()).json()["status"] == "cancelled"
