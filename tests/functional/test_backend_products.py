"""The public catalog (/api/v1/products) on SQLite and PostgreSQL: reads for anyone (staff
also see inactive products), ETag / If-None-Match, staff writes under If-Match, every input
validated, every error problem+json. Responses are checked against the committed contract."""
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from auth_fixtures import bearer


def problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


def error_params(p):
    return sorted(e.get("parameter") or e.get("pointer") for e in p["errors"])


# --- reading -------------------------------------------------------------------------------

def test_anyone_reads_active_products_with_etag(backend):
    p = backend.new_product(name="Readable")
    r = backend.api.get(f"/api/v1/products/{p['id']}")
    assert r.status_code == 200
    assert r.json() == p
    assert r.headers["ETag"] == f'"{p["version"]}"'


def test_if_none_match_gives_304_until_the_product_changes(backend):
    p = backend.new_product()
    url = f"/api/v1/products/{p['id']}"
    tag = backend.api.get(url).headers["ETag"]
    r = backend.api.get(url, headers={"If-None-Match": tag})
    assert r.status_code == 304 and r.content == b"" and r.headers["ETag"] == tag
    assert backend.api.get(url, headers={"If-None-Match": f'W/{tag}'}).status_code == 304
    assert backend.api.get(url, headers={"If-None-Match": f'"0", {tag}'}).status_code == 304
    assert backend.api.get(url, headers={"If-None-Match": '"999"'}).status_code == 200
    backend.api.patch(url, json={"name": "Renamed"}, headers={**backend.staff(), "If-Match": tag})
    r = backend.api.get(url, headers={"If-None-Match": tag})
    assert r.status_code == 200 and r.json()["name"] == "Renamed"
    assert r.headers["ETag"] != tag


def test_unknown_and_inactive_products_are_404_except_inactive_for_staff(backend):
    assert problem(backend.api.get("/api/v1/products/999999999"), 404)["status"] == 404
    hidden = backend.new_product(active=False)
    url = f"/api/v1/products/{hidden['id']}"
    problem(backend.api.get(url), 404)
    problem(backend.api.get(url, headers=backend.customer()), 404)
    assert backend.api.get(url, headers=backend.staff()).json()["active"] is False
    problem(backend.api.get("/api/v1/products/not-a-number"), 422)


def test_a_token_that_is_sent_must_be_valid_even_on_public_reads(backend):
    p = backend.new_product()
    r = backend.api.get(f"/api/v1/products/{p['id']}", headers=bearer("not.a.token"))
    problem(r, 401)
    assert "invalid_token" in r.headers["WWW-Authenticate"]
    problem(backend.api.get("/api/v1/products", headers=bearer("x")), 401)


# --- listing -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog(backend):
    """A category of its own: 7 products, 2 inactive, known prices."""
    cat = "list-" + secrets.token_hex(4)
    made = [backend.new_product(category=cat, name=f"Item {i} widget", price_cents=100 * (i + 1),
                                stock=i, active=i not in (2, 5),
                                description="100% cotton" if i == 6 else "plain")
            for i in range(7)]
    return cat, made


def test_pages_carry_limit_offset_and_total(backend, catalog):
    cat, made = catalog
    active = [p for p in made if p["active"]]
    r = backend.api.get("/api/v1/products", params={"category": cat, "limit": 2})
    page = r.json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 0
    assert [p["id"] for p in page["items"]] == [p["id"] for p in active[:2]]
    last = backend.api.get("/api/v1/products", params={"category": cat, "limit": 2, "offset": 4}).json()
    assert [p["id"] for p in last["items"]] == [active[4]["id"]] and last["total"] == 5
    beyond = backend.api.get("/api/v1/products", params={"category": cat, "offset": 50}).json()
    assert beyond["items"] == [] and beyond["total"] == 5
    empty = backend.api.get("/api/v1/products", params={"category": "no-such-" + cat}).json()
    assert empty == {"items": [], "total": 0, "limit": 20, "offset": 0}


def test_limit_over_the_maximum_and_bad_parameters_are_one_422_naming_each(backend):
    p = problem(backend.api.get("/api/v1/products", params={"limit": 101}), 422)
    assert error_params(p) == ["limit"]
    p = problem(backend.api.get("/api/v1/products", params={
        "limit": 0, "offset": -1, "min_price": "cheap", "sort": "password", "active": "maybe",
        "q": "x" * 201}), 422)
    assert error_params(p) == ["active", "limit", "min_price", "offset", "q", "sort"]
    p = problem(backend.api.get("/api/v1/products", params={"min_price": 500, "max_price": 100}), 422)
    assert error_params(p) == ["max_price"]
    problem(backend.api.get("/api/v1/products", params={"q": "a\x01b"}), 422)


def test_filters_and_sorting(backend, catalog):
    cat, made = catalog
    get = lambda **q: backend.api.get("/api/v1/products", params={"category": cat, **q}).json()
    assert [p["price_cents"] for p in get(min_price=200, max_price=500)["items"]] == [200, 400, 500]
    assert [p["price_cents"] for p in get(sort="-price")["items"]] == [700, 500, 400, 200, 100]
    assert [p["stock"] for p in get(sort="stock")["items"]] == [0, 1, 3, 4, 6]
    # Text search is case-insensitive, and LIKE wildcards in the text are literal.
    assert [p["name"] for p in get(q="ITEM 3")["items"]] == ["Item 3 widget"]
    assert [p["description"] for p in get(q="100%")["items"]] == ["100% cotton"]
    assert get(q="_")["total"] == 0
    assert get(q="%")["total"] == 1


def test_staff_see_inactive_products_and_can_filter_on_them(backend, catalog):
    cat, made = catalog
    staff = backend.api.get("/api/v1/products", params={"category": cat},
                            headers=backend.staff()).json()
    assert staff["total"] == 7
    inactive = backend.api.get("/api/v1/products", params={"category": cat, "active": "false"},
                               headers=backend.staff()).json()
    assert sorted(p["stock"] for p in inactive["items"]) == [2, 5]
    customer = backend.api.get("/api/v1/products", params={"category": cat, "active": "false"},
                               headers=backend.customer()).json()
    assert customer["items"] == [] and customer["total"] == 0


def totals(backend):
    """The list's totals as kept by the database's counters (no filter) and as counted
    (min_price=0 matches every product but takes the COUNT path), for a customer and for
    staff (all, active, inactive)."""
    def total(headers, **q):
        r = backend.api.get("/api/v1/products", params={"limit": 1, **q}, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()["total"]
    out = {}
    for who, headers in (("customer", backend.customer()), ("staff", backend.staff())):
        for view, q in (("all", {}), ("active", {"active": "true"}), ("inactive", {"active": "false"})):
            kept, counted = total(headers, **q), total(headers, min_price=0, **q)
            assert kept == counted, (who, view, kept, counted)
            out[who, view] = kept
    return out


def test_unfiltered_totals_follow_every_kind_of_catalog_write(backend):
    """Totals without filters come from counters the database keeps by trigger: creating,
    deactivating, reactivating, deleting, importing and concurrent creates must all move
    them exactly as a COUNT(*) sees it; orders (stock only) must not."""
    before = totals(backend)
    assert before["customer", "all"] == before["staff", "active"]
    assert before["customer", "inactive"] == 0
    staff = backend.staff()
    a, b = backend.new_product(), backend.new_product(active=False)
    r = backend.api.patch(f"/api/v1/products/{a['id']}", json={"active": False},
                          headers={**staff, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    r = backend.api.patch(f"/api/v1/products/{b['id']}", json={"active": True, "stock": 2},
                          headers={**staff, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    r = backend.api.patch(f"/api/v1/products/{b['id']}", json={"stock": 3},  # active unchanged
                          headers={**staff, "If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.text
    c = backend.new_product()
    assert backend.api.delete(f"/api/v1/products/{c['id']}",
                              headers={**staff, "If-Match": '"1"'}).status_code == 204
    # The import: two new (one inactive), and `b` made inactive again by its sku.
    rows = [{"sku": f"IMP-{secrets.token_hex(5)}", "name": "Imported", "description": "", "price_cents": 5,
             "currency": "EUR", "stock": 1, "category": "tests", "active": act}
            for act in (True, False)]
    rows.append({k: b[k] for k in ("sku", "name", "description", "price_cents", "currency",
                                   "stock", "category")} | {"active": False})
    r = backend.api.put("/internal/v1/products", json={"products": rows}, headers=backend.service())
    assert r.status_code == 200, r.text
    # Concurrent creates, and an order (it moves stock, not the counts).
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda i: backend.new_product(active=i % 2 == 0), range(10)))
    d = backend.new_product()
    assert backend.order([{"product_id": d["id"], "quantity": 1}]).status_code == 201
    after = totals(backend)
    # a: +1 inactive; b: +1 inactive; c: gone; import +1 active +1 inactive; 10 concurrent:
    # +5 active +5 inactive; the ordered product +1 active.
    assert after["staff", "all"] == before["staff", "all"] + 2 + 2 + 10 + 1
    assert after["staff", "active"] == before["staff", "active"] + 1 + 5 + 1
    assert after["staff", "inactive"] == before["staff", "inactive"] + 2 + 1 + 5
    assert after["customer", "all"] == after["staff", "active"]
    assert after["customer", "inactive"] == 0


# --- writing -------------------------------------------------------------------------------

def test_staff_create_products_with_location_and_etag(backend):
    body = {"sku": "NEW-" + secrets.token_hex(4), "name": "Fresh", "price_cents": 4999,
            "currency": "USD"}
    r = backend.api.post("/api/v1/products", json=body, headers=backend.staff())
    assert r.status_code == 201, r.text
    p = r.json()
    assert r.headers["Location"] == f"/api/v1/products/{p['id']}"
    assert r.headers["ETag"] == '"1"' and p["version"] == 1
    assert (p["stock"], p["category"], p["description"], p["active"]) == (0, "", "", True)
    assert backend.api.get(r.headers["Location"]).json() == p


def test_writes_need_a_staff_token(backend):
    body = {"sku": "X-" + secrets.token_hex(4), "name": "n", "price_cents": 1, "currency": "EUR"}
    problem(backend.api.post("/api/v1/products", json=body), 401)
    r = backend.api.post("/api/v1/products", json=body, headers=backend.customer())
    assert problem(r, 403)["type"] == "urn:micromax:problem:insufficient-scope"
    p = backend.new_product()
    url = f"/api/v1/products/{p['id']}"
    problem(backend.api.patch(url, json={"name": "no"}, headers={**backend.customer(), "If-Match": '"1"'}), 403)
    problem(backend.api.delete(url, headers={**backend.customer(), "If-Match": '"1"'}), 403)
    assert backend.product(p["id"]) == p


def test_a_taken_sku_is_409_and_changes_nothing(backend):
    p = backend.new_product()
    body = {"sku": p["sku"], "name": "dup", "price_cents": 1, "currency": "EUR"}
    assert "exists" in problem(backend.api.post("/api/v1/products", json=body,
                                                headers=backend.staff()), 409)["detail"]
    other = backend.new_product()
    r = backend.api.patch(f"/api/v1/products/{other['id']}", json={"sku": p["sku"]},
                          headers={**backend.staff(), "If-Match": '"1"'})
    problem(r, 409)
    assert backend.product(other["id"]) == other


def test_invalid_products_are_422_listing_every_field(backend):
    body = {"sku": "has space", "name": "", "price_cents": -1, "currency": "XYZ", "stock": -5,
            "category": "c" * 101, "active": "yes", "surprise": 1}
    p = problem(backend.api.post("/api/v1/products", json=body, headers=backend.staff()), 422)
    pointers = error_params(p)
    for field in ("/sku", "/name", "/price_cents", "/currency", "/stock", "/category", "/active"):
        assert field in pointers, (field, pointers)
    assert "/surprise" in pointers  # unknown members are refused, not ignored
    problem(backend.api.post("/api/v1/products", data="{", headers={**backend.staff(),
            "Content-Type": "application/json"}), 422)
    r = backend.api.post("/api/v1/products", data="sku=x", headers={**backend.staff(),
                         "Content-Type": "application/x-www-form-urlencoded"})
    problem(r, 415)


def test_put_and_patch_need_the_current_etag(backend):
    p = backend.new_product(stock=3)
    url = f"/api/v1/products/{p['id']}"
    staff = backend.staff()
    assert problem(backend.api.patch(url, json={"stock": 4}, headers=staff), 428)["status"] == 428
    r = backend.api.patch(url, json={"stock": 4}, headers={**staff, "If-Match": '"7"'})
    problem(r, 412)
    assert r.headers["ETag"] == '"1"'
    r = backend.api.patch(url, json={"stock": 4, "price_cents": 2500}, headers={**staff, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["stock"], r.json()["price_cents"], r.json()["version"]) == (4, 2500, 2)
    assert r.headers["ETag"] == '"2"'
    # The first writer's tag is stale now: a second writer holding it loses, nothing lost.
    problem(backend.api.patch(url, json={"stock": 99}, headers={**staff, "If-Match": '"1"'}), 412)
    full = {k: r.json()[k] for k in ("sku", "name", "description", "price_cents", "currency",
                                     "stock", "category", "active")}
    full["name"] = "Replaced"
    r = backend.api.put(url, json=full, headers={**staff, "If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["name"] == "Replaced" and r.json()["version"] == 3
    # A PUT that changes nothing writes nothing: the version stays.
    r = backend.api.put(url, json=full, headers={**staff, "If-Match": '"3"'})
    assert r.status_code == 200 and r.json()["version"] == 3
    problem(backend.api.patch(url, json={"currency": "XYZ"}, headers={**staff, "If-Match": '"3"'}), 422)
    problem(backend.api.patch("/api/v1/products/999999999", json={"stock": 1},
                              headers={**staff, "If-Match": '"1"'}), 404)


def test_delete_needs_the_current_etag_and_then_the_product_is_gone(backend):
    p = backend.new_product()
    url = f"/api/v1/products/{p['id']}"
    problem(backend.api.delete(url, headers=backend.staff()), 428)
    problem(backend.api.delete(url, headers={**backend.staff(), "If-Match": '"2"'}), 412)
    r = backend.api.delete(url, headers={**backend.staff(), "If-Match": '"1"'})
    assert r.status_code == 204 and r.content == b""
    problem(backend.api.get(url, headers=backend.staff()), 404)
    problem(backend.api.delete(url, headers={**backend.staff(), "If-Match": "*"}), 404)


def test_a_read_after_a_write_never_sees_the_old_version(backend):
    """The cache is filled by the first read and must be invalidated by each write."""
    p = backend.new_product(stock=5)
    url = f"/api/v1/products/{p['id']}"
    tag = '"1"'
    for i in range(20):
        assert backend.api.get(url).json()["stock"] == 5 + i  # cached now
        r = backend.api.patch(url, json={"stock": 6 + i}, headers={**backend.staff(), "If-Match": tag})
        assert r.status_code == 200, r.text
        tag = r.headers["ETag"]
    assert backend.api.get(url).json()["stock"] == 25


def test_with_redis_as_the_cache_a_read_after_a_write_is_fresh(make_backend, redis_server):
    """MMX_CACHE_URL=redis://...: entries are shared (redis-py sees them) and every write
    invalidates them before it answers."""
    s = make_backend(env={"MMX_CACHE_URL": redis_server.url})
    p = s.new_product(stock=1)
    url = f"/api/v1/products/{p['id']}"
    assert s.api.get(url).json()["stock"] == 1
    stored = redis_server.client().get(f"mmx:backend:{p['id']}")
    assert stored is not None and stored.startswith(b"1:"), stored
    tag = '"1"'
    for stock in range(2, 12):
        r = s.api.patch(url, json={"stock": stock}, headers={**s.staff(), "If-Match": tag})
        assert r.status_code == 200, r.text
        tag = r.headers["ETag"]
        assert s.api.get(url).json()["stock"] == stock
    # An order moves stock: the cached copy must not survive it either.
    assert s.order([{"product_id": p["id"], "quantity": 4}]).status_code == 201
    assert s.api.get(url).json()["stock"] == 7
    r = s.api.delete(url, headers={**s.staff(), "If-Match": s.api.get(url).headers["ETag"]})
    assert r.status_code == 204
    assert s.api.get(url).status_code == 404
