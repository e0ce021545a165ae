"""`micromax seed` and MMX_DEMO_DATA: the demo users (auth) and the demo shop (backend: a
catalog and 90 days of orders belonging to the demo customers), read back with sqlite3.
Idempotent (a second run does nothing), reproducible (two fresh data dirs hold the same
catalog and as many orders), and refused outside MMX_ENV=local without MMX_DEMO_PASSWORD."""
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from auth_fixtures import bearer, run_micromax

DEMO_PASSWORD = "demo-Passw0rd"
DEMO_DOMAIN = "@demo.micromax.dev"


def seed(data_dir, **env):
    return run_micromax(["seed"], env={"MMX_ENV": "local", "MMX_DATA_DIR": str(data_dir),
                                       "MMX_TARGET": "all", **env}, timeout=120)


def query(data_dir, db, sql, *args):
    with sqlite3.connect(Path(data_dir) / db) as c:
        return c.execute(sql, args).fetchall()


def when(ts):
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def demo_users(data_dir):
    """{email: (id, role)} of the demo users in auth.db."""
    rows = query(data_dir, "auth.db",
                 "SELECT u.email, u.id, r.role FROM users u JOIN user_roles r ON r.user_id = u.id "
                 "WHERE u.email LIKE ?", "%" + DEMO_DOMAIN)
    return {email: (uid, role) for email, uid, role in rows}


def catalog(data_dir):
    return query(data_dir, "backend.db",
                 "SELECT sku, name, price_cents, category, active FROM products ORDER BY sku")


def count(data_dir, table):
    return query(data_dir, "backend.db", f"SELECT COUNT(*) FROM {table}")[0][0]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A data dir seeded once; the run's result alongside."""
    d = tmp_path_factory.mktemp("seed")
    r = seed(d)
    assert r.returncode == 0, r.stdout + r.stderr
    return d, r


def test_the_first_run_creates_the_demo_users_and_the_shop(seeded):
    d, r = seeded
    assert "auth: 7 demo users created" in r.stdout, r.stdout
    users = demo_users(d)
    assert len(users) == 7, users
    roles = sorted(role for _, role in users.values())
    assert roles.count("customer") == 5 and "admin" in roles and "staff" in roles, roles
    products, orders = count(d, "products"), count(d, "orders")
    assert 300 <= products <= 340, products
    assert 300 <= orders <= 1000, orders
    assert f"backend: {products} products, {orders} orders" in r.stdout, r.stdout


def test_the_orders_span_90_days_in_every_status_and_belong_to_demo_customers(seeded):
    d, _ = seeded
    first, last = query(d, "backend.db", "SELECT MIN(created_at), MAX(created_at) FROM orders")[0]
    span = when(last) - when(first)
    assert span.days > 80, (first, last)
    assert (datetime.now(when(last).tzinfo) - when(last)).days <= 2, last
    statuses = dict(query(d, "backend.db", "SELECT status, COUNT(*) FROM orders GROUP BY status"))
    assert {"delivered", "cancelled"} <= set(statuses), statuses
    assert statuses["delivered"] > statuses["cancelled"] > 0, statuses
    customers = {uid for uid, role in demo_users(d).values() if role == "customer"}
    owners = {u for (u,) in query(d, "backend.db", "SELECT DISTINCT user_id FROM orders")}
    assert owners <= customers, owners - customers
    assert len(owners) >= 3, "the history is spread over the demo customers"
    # Stock never went below zero; every order has lines and its total is their sum.
    assert query(d, "backend.db", "SELECT COUNT(*) FROM products WHERE stock < 0") == [(0,)]
    bad = query(d, "backend.db",
                "SELECT o.id FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id "
                "GROUP BY o.id HAVING COUNT(l.order_id) = 0 OR "
                "SUM(l.quantity * l.unit_price_cents) != MAX(o.total_cents)")
    assert bad == [], bad
    # The timestamps follow the status machine.
    wrong = query(d, "backend.db",
                  "SELECT id FROM orders WHERE (status = 'delivered' AND NOT "
                  "(created_at <= paid_at AND paid_at <= shipped_at AND shipped_at <= delivered_at))"
                  " OR (status = 'cancelled' AND (cancelled_at IS NULL OR cancel_reason IS NULL))")
    assert wrong == [], wrong


def test_the_second_run_changes_nothing(seeded):
    d, _ = seeded
    before = (count(d, "products"), count(d, "orders"), count(d, "order_lines"),
              catalog(d), query(d, "backend.db", "SELECT SUM(version) FROM products"),
              sorted(demo_users(d).items()))
    r = seed(d)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nothing to do" in r.stdout, r.stdout
    assert "0 demo users created (7 present already)" in r.stdout, r.stdout
    after = (count(d, "products"), count(d, "orders"), count(d, "order_lines"),
             catalog(d), query(d, "backend.db", "SELECT SUM(version) FROM products"),
             sorted(demo_users(d).items()))
    assert after == before


def test_two_fresh_data_dirs_get_the_same_demo_data(seeded, tmp_path):
    d, _ = seeded
    r = seed(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert catalog(tmp_path) == catalog(d)
    assert count(tmp_path, "orders") == count(d, "orders")
    assert count(tmp_path, "order_lines") == count(d, "order_lines")
    assert demo_users(tmp_path) == demo_users(d), "demo user ids derive from their emails"


@pytest.mark.parametrize("env", ["production", "staging"])
def test_outside_local_the_demo_password_must_be_set(tmp_path, env):
    r = seed(tmp_path, MMX_ENV=env)
    assert r.returncode != 0, r.stdout
    assert "MMX_DEMO_PASSWORD" in r.stderr, r.stderr
    db = tmp_path / "backend.db"
    assert not db.exists() or count(tmp_path, "orders") == 0


def test_a_server_with_demo_data_shows_alice_her_orders_only(make_backend):
    s = make_backend(env={"MMX_DEMO_DATA": "true"})
    users = demo_users(s.data_dir)
    alice_id = users["alice@demo.micromax.dev"][0]
    bob_id = users["bob@demo.micromax.dev"][0]
    expected = s.backend_query("SELECT COUNT(*) FROM orders WHERE user_id = ?", alice_id)[0][0]
    assert 0 < expected < s.backend_query("SELECT COUNT(*) FROM orders")[0][0]

    alice = bearer(s.login("alice@demo.micromax.dev", DEMO_PASSWORD)["access_token"])
    seen, offset = [], 0
    while True:
        r = s.api.get("/api/v1/orders", params={"limit": 100, "offset": offset}, headers=alice)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == expected
        seen += page["items"]
        offset += 100
        if offset >= page["total"]:
            break
    assert len(seen) == expected
    assert {o["user_id"] for o in seen} == {alice_id}
    assert [o["id"] for o in seen] == sorted((o["id"] for o in seen), reverse=True)
    # Asking for someone else's is refused, and reading one of theirs is "not found".
    from_bob = s.backend_query("SELECT id FROM orders WHERE user_id = ? LIMIT 1", bob_id)[0][0]
    assert s.api.get("/api/v1/orders", params={"user_id": bob_id},
                     headers=alice).status_code == 403
    assert s.api.get(f"/api/v1/orders/{from_bob}", headers=alice).status_code == 404
    # Staff see everyone's.
    staff = bearer(s.login("staff@demo.micromax.dev", DEMO_PASSWORD)["access_token"])
    everyone = s.api.get("/api/v1/orders", params={"limit": 1}, headers=staff).json()
    assert everyone["total"] == s.backend_query("SELECT COUNT(*) FROM orders")[0][0]
