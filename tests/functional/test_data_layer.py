"""The data layer through the real binary: migrations at start and by `migrate`, the
outbox -> broker -> idempotent consumer path on the embedded defaults, PostgreSQL,
RabbitMQ and Redis (read back by psycopg2, pika and redis-py), a SIGKILL between commit
and relay, and clear start-up errors for bad URLs, unreachable servers and wrong passwords.
"""
import json
import secrets
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import BIN_DIR, Server, wait_for

TESTBED = BIN_DIR / "micromax-testbed"


def new_product(server, sku, price=1999):
    r = server.post("/testbed/products", json={"sku": sku, "name": f"Product {sku}", "price_cents": price})
    assert r.status_code == 201, r.text
    return r.json()


def seen(server):
    return server.get("/testbed/seen").json()


def run_binary(args, env, timeout=60):
    """Runs the testbed binary to completion (start-up failures, `migrate`)."""
    base = {"PATH": "/usr/bin:/bin", "MMX_ENV": "local", "MMX_LOG_FORMAT": "json"}
    base.update(env)
    t0 = time.monotonic()
    p = subprocess.run([str(TESTBED), *args], env=base, capture_output=True, text=True, timeout=timeout)
    return p, time.monotonic() - t0


@pytest.fixture
def pg_service(postgres):
    """A fresh service database and role, made by the PostgreSQL init script."""
    name = "tb_" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    postgres.init_service_databases({name: password})
    url = f"postgresql://{name}:{password}@{postgres.host}:{postgres.port}/{name}"
    import psycopg2
    conns = []

    def connect():
        c = psycopg2.connect(host=postgres.host, port=postgres.port, user=name, password=password, dbname=name)
        c.autocommit = True
        conns.append(c)
        return c
    yield {"url": url, "name": name, "password": password, "connect": connect}
    for c in conns:
        c.close()


# --- embedded defaults --------------------------------------------------------------------

def test_start_migrates_and_reports_ready(make_server):
    s = make_server()
    applied = s.find_log(msg="migrations applied")
    assert applied and applied["applied"] == "0001_products,0002_seen_events,0003_product_ids", applied
    r = s.get("/readyz")
    assert r.status_code == 200, r.text
    assert "database:testbed" in r.text and '"broker"' in r.text, r.text


def test_event_goes_through_outbox_broker_and_consumer(make_server):
    s = make_server()
    p = new_product(s, "BK-1")
    assert s.get(f"/testbed/products/{p['id']}").json()["sku"] == "BK-1"
    wait_for(lambda: seen(s)["effects"] == 1, what="the consumer to see product.created")
    assert s.get("/testbed/outbox").json()["pending"] == 0
    assert s.post("/testbed/products", json={"sku": "BK-1", "name": "dup", "price_cents": 1}).status_code == 409
    bad = s.post("/testbed/products", json={"sku": "", "name": "x", "price_cents": -5})
    assert bad.status_code == 422 and {e["pointer"] for e in bad.json()["errors"]} >= {"/sku", "/price_cents"}
    metrics = s.get("/metrics").text
    assert 'mmx_outbox_relayed_total{service="testbed"} 1' in metrics
    assert 'mmx_broker_delivered_total{group="testbed",topic="catalog.products"} 1' in metrics
    assert 'mmx_db_query_duration_seconds_count{db="testbed"}' in metrics


def test_migrate_command_then_start_finds_nothing_to_do(tmp_path):
    env = {"MMX_DATA_DIR": str(tmp_path)}
    first, _ = run_binary(["migrate"], env)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "migrations applied" in first.stdout and "migrations done" in first.stdout
    second, _ = run_binary(["migrate"], env)
    assert second.returncode == 0 and "database schema up to date" in second.stdout
    rows = sqlite3.connect(tmp_path / "testbed.db").execute(
        "SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(1, "0001_products"), (2, "0002_seen_events"), (3, "0003_product_ids")]


def test_an_edited_applied_migration_stops_start_up(tmp_path):
    env = {"MMX_DATA_DIR": str(tmp_path)}
    assert run_binary(["migrate"], env)[0].returncode == 0
    db = sqlite3.connect(tmp_path / "testbed.db")
    db.execute("UPDATE schema_migrations SET checksum = 'deadbeef' WHERE version = 2")
    db.commit()
    p, _ = run_binary(["--listen", "127.0.0.1:0"], env)
    assert p.returncode == 1
    assert "0002_seen_events was changed after it was applied" in p.stderr, p.stderr


def test_kill_between_commit_and_relay_loses_nothing(tmp_path):
    env = {"MMX_DATA_DIR": str(tmp_path), "MMX_TESTBED_RELAY": "false"}
    s = Server(env=env).start()
    try:
        for i in range(5):
            new_product(s, f"K-{i}")
        assert s.get("/testbed/outbox").json()["pending"] == 5
        s.signal(9)  # SIGKILL: committed rows, nothing relayed
        s.wait()
    finally:
        s.stop()
    s2 = Server(env={"MMX_DATA_DIR": str(tmp_path)}).start()
    try:
        wait_for(lambda: seen(s2)["effects"] == 5, timeout=20, what="all five events after restart")
        assert seen(s2) == {"effects": 5, "distinct_events": 5}
        assert s2.get("/testbed/outbox").json()["pending"] == 0
    finally:
        s2.stop()
        s2.assert_clean_exit()


# --- real servers ---------------------------------------------------------------------------

def test_postgresql_database_read_back_by_psycopg2(make_server, pg_service):
    s = make_server(env={"MMX_TESTBED_DATABASE_URL": pg_service["url"]})
    p = new_product(s, "PG-1", price=4250)
    wait_for(lambda: seen(s)["effects"] == 1, what="the event on PostgreSQL")
    cur = pg_service["connect"]().cursor()
    cur.execute("SELECT id, sku, price_cents FROM products")
    assert cur.fetchall() == [(p["id"], "PG-1", 4250)]
    cur.execute("SELECT event_type, topic, sent_at IS NOT NULL, payload FROM mmx_outbox")
    (etype, topic, sent, payload), = cur.fetchall()
    assert (etype, topic, sent) == ("product.created", "catalog.products", True)
    assert json.loads(payload)["data"]["sku"] == "PG-1"
    cur.execute("SELECT count(*) FROM schema_migrations")
    assert cur.fetchone()[0] == 3


def test_two_processes_migrating_one_postgresql_at_once(pg_service):
    env = {"PATH": "/usr/bin:/bin", "MMX_ENV": "local", "MMX_TESTBED_DATABASE_URL": pg_service["url"]}
    procs = [subprocess.Popen([str(TESTBED), "migrate", "--data-dir", tempfile.mkdtemp()], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    cur = pg_service["connect"]().cursor()
    cur.execute("SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version")
    assert cur.fetchall() == [(1, 1), (2, 1), (3, 1)]
    applied = sum(o[0].count("migrations applied") for o in outs)
    assert applied == 1, "more than one process applied migrations"


def test_rabbitmq_messages_read_by_pika(make_server, rabbitmq):
    conn = rabbitmq.connect()
    ch = conn.channel()
    ch.exchange_declare("micromax", exchange_type="topic", durable=True)
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q, "micromax", routing_key="catalog.products")
    s = make_server(env={"MMX_BROKER_URL": rabbitmq.url})
    new_product(s, "RMQ-1")
    wait_for(lambda: seen(s)["effects"] == 1, what="our consumer on RabbitMQ")
    method, props, body = wait_for(lambda: (lambda r: r if r[0] else None)(ch.basic_get(q, auto_ack=True)),
                                   what="pika to get the message")
    conn.close()
    got = json.loads(body)
    assert got["specversion"] == "1.0" and got["type"] == "product.created"
    assert got["data"]["sku"] == "RMQ-1" and got["source"] == "/micromax/testbed"
    assert props.delivery_mode == 2, "events must be persistent"


def test_redis_stream_entries_read_by_redis_py(make_server, redis_server):
    s = make_server(env={"MMX_BROKER_URL": redis_server.url})
    new_product(s, "RDS-1")
    wait_for(lambda: seen(s)["effects"] == 1, what="our consumer on Redis")
    entries = redis_server.client().xrange("mmx:stream:catalog.products")
    assert len(entries) == 1
    fields = {k.decode(): v.decode() for k, v in entries[0][1].items()}
    event = json.loads(fields["payload"])
    assert event["type"] == "product.created" and event["data"]["sku"] == "RDS-1"
    assert fields["key"] == event["subject"]


# --- bad input: clear start-up errors, never a password, never a hang --------------------

@pytest.mark.parametrize("env,setting,needle", [
    ({"MMX_TESTBED_DATABASE_URL": "mysql://u:hunter2@127.0.0.1/db"}, "MMX_TESTBED_DATABASE_URL", "unsupported scheme"),
    ({"MMX_TESTBED_DATABASE_URL": "postgresql://u:hunter2@127.0.0.1:port/db"}, "MMX_TESTBED_DATABASE_URL", "invalid database URL"),
    ({"MMX_DATABASE_URL": "postgresql://u:hunter2@127.0.0.1:1/db", "MMX_DB_CONNECT_WAIT": "1s"},
     "MMX_DATABASE_URL", "cannot connect"),
    ({"MMX_BROKER_URL": "mqtt://u:hunter2@127.0.0.1/"}, "MMX_BROKER_URL", "unsupported broker URL"),
    ({"MMX_BROKER_URL": "amqp://guest:hunter2@127.0.0.1:1/%2f", "MMX_BROKER_CONNECT_WAIT": "1s"},
     "MMX_BROKER_URL", "127.0.0.1:1"),
    ({"MMX_BROKER_URL": "redis://:hunter2@127.0.0.1:1/0", "MMX_BROKER_CONNECT_WAIT": "1s"},
     "MMX_BROKER_URL", "127.0.0.1:1"),
])
def test_bad_urls_and_unreachable_servers_fail_clearly(tmp_path, env, setting, needle):
    p, took = run_binary(["--listen", "127.0.0.1:0", "--data-dir", str(tmp_path)], env, timeout=30)
    assert p.returncode != 0
    assert setting in p.stderr and needle in p.stderr, p.stderr
    assert "hunter2" not in p.stderr + p.stdout
    assert took < 20


def test_wrong_postgresql_password_fails_at_once(tmp_path, pg_service):
    url = pg_service["url"].replace(pg_service["password"], "not-the-password")
    p, took = run_binary(["--listen", "127.0.0.1:0", "--data-dir", str(tmp_path)],
                         {"MMX_TESTBED_DATABASE_URL": url}, timeout=30)
    assert p.returncode == 1
    assert "MMX_TESTBED_DATABASE_URL" in p.stderr and "password authentication failed" in p.stderr, p.stderr
    assert "not-the-password" not in p.stderr + p.stdout
    assert took < 8, "an authentication error must not wait for the server"


def test_wrong_rabbitmq_password_fails_at_once(tmp_path, rabbitmq):
    url = rabbitmq.url.replace("guest:guest", "guest:not-the-password")
    p, took = run_binary(["--listen", "127.0.0.1:0", "--data-dir", str(tmp_path)],
                         {"MMX_BROKER_URL": url}, timeout=30)
    assert p.returncode == 1
    assert "MMX_BROKER_URL" in p.stderr, p.stderr
    assert "not-the-password" not in p.stderr + p.stdout
    assert took < 8
