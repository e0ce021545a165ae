"""The backend's events, read back from RabbitMQ by an independent client (pika): the
CloudEvents the outbox relays for products and orders, exactly those, in order per aggregate,
with the state after each change. Stock moved by orders is carried by the order.* events,
never by a product.updated (the documented design)."""
import json
import secrets

import pytest

from conftest import wait_for

SOURCE = "/micromax/backend"
ORDER_KEYS = {"id", "user_id", "status", "total_cents", "currency", "lines", "occurred_at"}
PRODUCT_KEYS = {"id", "sku", "name", "description", "price_cents", "currency", "stock",
                "category", "active", "version", "updated_at"}


class Listener:
    """An exclusive queue bound to the micromax exchange, declared before anything is produced."""

    def __init__(self, rabbitmq, *routing_keys):
        self.conn = rabbitmq.connect()
        self.ch = self.conn.channel()
        self.ch.exchange_declare("micromax", exchange_type="topic", durable=True)
        self.queue = self.ch.queue_declare("", exclusive=True).method.queue
        for key in routing_keys:
            self.ch.queue_bind(self.queue, "micromax", routing_key=key)
        self.messages = []

    def drain(self):
        while True:
            method, props, body = self.ch.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.messages
            self.messages.append((method.routing_key, props, json.loads(body)))

    def events(self):
        return [e for _, _, e in self.messages]

    def close(self):
        self.conn.close()


@pytest.fixture
def listener(rabbitmq):
    lst = Listener(rabbitmq, "orders", "catalog.products")
    yield lst
    lst.close()


def pending_outbox(server):
    return server.backend_query("SELECT COUNT(*) FROM mmx_outbox WHERE sent_at IS NULL")[0][0]


def of(events, kind, subject):
    """The events of one aggregate (product and order ids are separate sequences)."""
    return [e for e in events if e["type"].startswith(kind + ".") and e["subject"] == str(subject)]


def test_outbox_table_is_where_we_expect_it(make_backend):
    s = make_backend()
    tables = {t for (t,) in s.backend_query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"mmx_outbox", "products", "orders"} <= tables


def test_product_and_order_events_reach_an_independent_consumer(make_backend, rabbitmq, listener):
    s = make_backend(env={"MMX_BROKER_URL": rabbitmq.url})
    customer = s.customer("events")
    svc = s.service()

    p = s.new_product(name="Evented", stock=10, price_cents=1250, category="events")
    r = s.api.patch(f"/api/v1/products/{p['id']}", json={"name": "Evented v2"},
                    headers={**s.staff(), "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["version"] == 2

    o1 = s.order([{"product_id": p["id"], "quantity": 2}], headers=customer)
    assert o1.status_code == 201, o1.text
    o1 = o1.json()
    paid = s.api.post(f"/internal/v1/orders/{o1['id']}/status", json={"status": "paid"},
                      headers=svc)
    assert paid.status_code == 200, paid.text

    o2 = s.order([{"product_id": p["id"], "quantity": 1}], headers=customer)
    assert o2.status_code == 201, o2.text
    o2 = o2.json()
    cancelled = s.api.post(f"/api/v1/orders/{o2['id']}/cancel",
                           json={"reason": "found it cheaper"}, headers=customer)
    assert cancelled.status_code == 200, cancelled.text

    # Two orders and a cancellation moved the stock: 10 - 2 - 1 + 1, version 2 + 3.
    now = s.product(p["id"])
    assert (now["stock"], now["version"]) == (8, 5)

    gone = s.new_product(name="Short-lived")
    r = s.api.delete(f"/api/v1/products/{gone['id']}", headers={**s.staff(), "If-Match": '"1"'})
    assert r.status_code == 204, r.text

    # The sentinel: produced last, so once it is here (and the outbox is empty) every event
    # before it has been relayed.
    sentinel = s.new_product(name="Sentinel " + secrets.token_hex(3))
    wait_for(lambda: pending_outbox(s) == 0, timeout=20, what="the outbox to be relayed")
    wait_for(lambda: of([e for _, _, e in listener.drain()], "product", sentinel["id"]),
             timeout=20, what="the sentinel event")
    events = listener.events()

    # Every message: a CloudEvent of ours, persistent, on its topic, ids unique.
    for routing_key, props, e in listener.messages:
        assert e["specversion"] == "1.0" and e["source"] == SOURCE, e
        assert props.delivery_mode == 2, "events must be persistent"
        expected_topic = "orders" if e["type"].startswith("order.") else "catalog.products"
        assert routing_key == expected_topic, (routing_key, e["type"])
        assert e["data"]["id"] == int(e["subject"]), e
        assert e.get("time"), e
    assert len({e["id"] for e in events}) == len(events), "event ids repeat"

    # The product: created, updated (the PATCH), deleted: never updated by the orders' stock moves.
    pe = of(events, "product", p["id"])
    assert [e["type"] for e in pe] == ["product.created", "product.updated"], \
        [(e["type"], e["data"].get("version"), e["data"].get("stock")) for e in pe]
    created, updated = pe
    assert set(created["data"]) == PRODUCT_KEYS
    assert {k: created["data"][k] for k in ("sku", "name", "stock", "price_cents", "version")} == \
        {"sku": p["sku"], "name": "Evented", "stock": 10, "price_cents": 1250, "version": 1}
    assert updated["data"] == {**created["data"], "name": "Evented v2", "version": 2,
                               "updated_at": updated["data"]["updated_at"]}
    assert updated["data"]["updated_at"] == patched["updated_at"]

    ge = of(events, "product", gone["id"])
    assert [e["type"] for e in ge] == ["product.created", "product.deleted"]
    assert set(ge[1]["data"]) == {"id", "sku", "version", "deleted_at"}
    assert (ge[1]["data"]["sku"], ge[1]["data"]["version"]) == (gone["sku"], 2)

    # The orders: each transition once, status matching the type, the lines and the total.
    def line(qty):
        return {"product_id": p["id"], "sku": p["sku"], "quantity": qty, "unit_price_cents": 1250}

    e1 = of(events, "order", o1["id"])
    assert [(e["type"], e["data"]["status"]) for e in e1] == \
        [("order.placed", "pending"), ("order.paid", "paid")]
    for e in e1:
        assert set(e["data"]) == ORDER_KEYS
        assert (e["data"]["user_id"], e["data"]["total_cents"], e["data"]["currency"]) == \
            (o1["user_id"], 2500, "EUR")
        assert e["data"]["lines"] == [line(2)]
    assert e1[1]["data"]["occurred_at"] == paid.json()["paid_at"]

    e2 = of(events, "order", o2["id"])
    assert [(e["type"], e["data"]["status"]) for e in e2] == \
        [("order.placed", "pending"), ("order.cancelled", "cancelled")]
    assert e2[1]["data"]["reason"] == "found it cheaper"
    assert (e2[1]["data"]["total_cents"], e2[1]["data"]["lines"]) == (1250, [line(1)])
    assert "reason" not in e2[0]["data"]

    # Nothing else was published: the product's 2, the deleted one's 2, the orders' 4, and
    # the sentinel.
    subjects = {str(x) for x in (p["id"], gone["id"], sentinel["id"])}
    products = [e for e in events if e["type"].startswith("product.")]
    orders = [e for e in events if e["type"].startswith("order.")]
    assert {e["subject"] for e in products} == subjects
    assert {e["subject"] for e in orders} == {str(o1["id"]), str(o2["id"])}
    assert len(events) == 2 + 2 + 4 + 1, [(e["type"], e["subject"]) for e in events]
