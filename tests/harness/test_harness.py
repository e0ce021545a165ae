"""Tests of the real-server harness itself:

    /usr/bin/python3 -m pytest tests/harness -q -p no:cacheprovider
"""
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pika
import psycopg2
import pytest
import redis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import servers  # noqa: E402
from servers import Postgres, RabbitMQ, Redis, ServerError  # noqa: E402

WITH_SERVERS = [sys.executable, str(HERE / "with_servers.py")]


def wait_for(condition, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def assert_gone(pids, server):
    alive = [pid for pid in pids if servers.process_alive(pid)]
    assert not alive, f"{server!r} left processes behind: {alive}"


def listening(pids):
    """{(address, port)} of the TCP sockets the processes listen on, from /proc."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd) if fd.exists() else ""
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                raw = bytes.fromhex(address)  # 32-bit words in host (little-endian) order
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.add((socket.inet_ntop(family, raw), int(port, 16)))
    return found


def assert_loopback_only(server, expected_ports):
    found = listening(server.pids())
    assert {port for _, port in found} == set(expected_ports), found
    assert all(address in ("127.0.0.1", "::1") for address, _ in found), found


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


# --- PostgreSQL ------------------------------------------------------------------------

def test_postgres_lifecycle():
    pg = Postgres().start()
    try:
        assert pg.url == (f"postgresql://mmx_admin:{pg.password}@127.0.0.1:{pg.port}/postgres")
        with psycopg2.connect(pg.url) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_setting('server_version_num')::int, "
                        "current_setting('fsync'), rolsuper FROM pg_roles "
                        "WHERE rolname = current_user")
            version, fsync, superuser = cur.fetchone()
            assert version // 10000 == 15 and fsync == "off" and superuser
            cur.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before')")
        if os.geteuid() == 0:  # PostgreSQL refuses root: it must run as `postgres`
            uid = Path(f"/proc/{pg.proc.pid}/status").read_text().split("Uid:")[1].split()[0]
            assert int(uid) == pwd.getpwnam("postgres").pw_uid
        assert_loopback_only(pg, [pg.port])
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            psycopg2.connect(pg.url.replace(pg.password, "wrong"))

        port, old_pids = pg.port, pg.pids()
        pg.restart()
        assert pg.port == port
        assert_gone(old_pids, pg)
        crashed = pg.pids()
        pg.kill()  # a crash: committed rows survive crash recovery
        assert_gone(crashed, pg)
        pg.start()
        with pg.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT v FROM kept")
            assert cur.fetchall() == [("before",)]
        assert pg.port == port
    finally:
        pids, data_dir = pg.pids(), pg.dir
        pg.stop()
    assert len(pids) > 1  # postmaster and its children
    assert_gone(pids, pg)
    assert not Path(data_dir).exists()


def test_kill_leaves_nothing_running():
    with Postgres() as pg:
        conn = pg.connect()  # a backend process, which leaves the postmaster's group
        pids = pg.pids()
        pg.kill()
        assert_gone(pids, pg)
        conn.close()
        pg.start()
        assert pg.connect().close() is None


# --- the service databases init script ------------------------------------------------

@pytest.fixture(scope="module")
def pg():
    with Postgres() as server:
        yield server


def can_login(pg, user, password, dbname=None):
    try:
        psycopg2.connect(host=pg.host, port=pg.port, user=user, password=password,
                         dbname=dbname or user, connect_timeout=5).close()
        return True
    except psycopg2.OperationalError as error:
        return str(error)


def test_init_script_creates_roles_and_databases_once(pg):
    quirky = "it's \"quoted\"; $x -- DROP TABLE"  # quoting, not injection
    out = pg.init_service_databases({"auth": quirky, "data_pipelines": "p2"})
    assert "created role auth" in out and "created database data_pipelines" in out
    assert can_login(pg, "auth", quirky) is True
    assert can_login(pg, "data_pipelines", "p2") is True
    assert "password authentication failed" in can_login(pg, "auth", "wrong")
    # each service's database is its own: no CONNECT for the other services' roles
    assert "CONNECT privilege" in can_login(pg, "auth", quirky, dbname="data_pipelines")

    # a second run (even with another password) changes nothing
    again = pg.init_service_databases({"auth": "other", "data_pipelines": "p2"})
    assert "created" not in again and "role auth exists" in again
    assert can_login(pg, "auth", quirky) is True
    assert "password authentication failed" in can_login(pg, "auth", "other")


def run_init_script(pg, **env):
    base = {"PATH": "/usr/bin:/bin", "PGHOST": pg.host, "PGPORT": str(pg.port),
            "PGUSER": pg.user, "PGPASSWORD": pg.password}
    return subprocess.run(["bash", str(servers.INIT_DATABASES_SCRIPT)], env={**base, **env},
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_init_script_reads_password_files_and_comma_lists(pg, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    done = run_init_script(pg, MMX_SERVICE_DATABASES="filesvc,backend_x",
                           MMX_DB_PASSWORD_FILESVC_FILE=str(secret),
                           MMX_DB_PASSWORD_BACKEND_X="x")
    assert done.returncode == 0, done.stdout
    assert can_login(pg, "filesvc", "from-file") is True  # trailing newline not included
    assert can_login(pg, "backend_x", "x") is True


@pytest.mark.parametrize("services, message", [
    ({"Auth": "p"}, "invalid service name 'Auth'"),
    ({"a;drop": "p"}, "invalid service name"),
    ({"1st": "p"}, "invalid service name"),
    ({"pg_monitor2": "p"}, "PostgreSQL reserves it"),
    ({"okname": "p", "bad-name": "p"}, "invalid service name 'bad-name'"),
    ({"nopass": ""}, "no password for service 'nopass'"),
])
def test_init_script_rejects_bad_input_before_creating_anything(pg, services, message):
    with pytest.raises(ServerError, match=message):
        pg.init_service_databases(services)
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_roles WHERE rolname IN ('okname', 'nopass')")
        assert cur.fetchone() == (0,)


def test_init_script_with_nothing_to_do(pg):
    done = run_init_script(pg, MMX_SERVICE_DATABASES=" , ")
    assert done.returncode == 0 and "nothing to create" in done.stdout


# --- Redis -----------------------------------------------------------------------------

def test_redis_lifecycle():
    with Redis(appendonly=True) as server:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = redis.Redis.from_url(server.url)
        assert_loopback_only(server, [server.port])
        client.set("k", "v")
        assert client.get("k") == b"v"
        port, old_pids = server.port, server.pids()
        server.restart()
        assert server.port == port and client.get("k") == b"v"  # append-only file kept it
        assert_gone(old_pids, server)
        pids = server.pids()
    assert_gone(pids, server)
    assert server.dir is None


def test_start_retries_when_the_port_was_taken(monkeypatch):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    ports = iter([taken])
    real = servers.free_port
    monkeypatch.setattr(servers, "free_port", lambda host="127.0.0.1": next(ports, None) or real())
    try:
        with Redis() as server:
            assert server.port != taken and server.client().ping()
    finally:
        blocker.close()


def test_start_failure_reports_the_log_tail(monkeypatch):
    command = Redis._command
    monkeypatch.setattr(Redis, "_command", lambda self: (
        command(self)[0] + ["--no-such-directive", "1"], *command(self)[1:]))
    server = Redis(ready_timeout=10)
    with pytest.raises(ServerError, match=r"exited with code \d+ while starting(.|\n)*no-such"):
        server.start()
    assert server.dir is None and not server.running


# --- RabbitMQ --------------------------------------------------------------------------

def publish_and_get(url, body):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = conn.channel()
        channel.queue_declare("harness", durable=True)
        if body is not None:
            channel.basic_publish("", "harness", body,
                                  pika.BasicProperties(delivery_mode=2))  # persistent
        method, _, got = channel.basic_get("harness", auto_ack=True)
        return got
    finally:
        conn.close()


def test_rabbitmq_lifecycle():
    server = RabbitMQ()
    try:
        server.start()
        assert server.url == f"amqp://guest:guest@127.0.0.1:{server.port}/%2f"
        print(f"RabbitMQ started in {server.start_seconds:.1f}s")
        assert publish_and_get(server.url, b"hello") == b"hello"
        # AMQP, Erlang distribution and epmd, all on loopback, none at a default port
        assert_loopback_only(server, [server.port, server.dist_port, server.epmd_port])

        # restart keeps the port, the node's data (a durable queue with a persistent
        # message) and its own epmd
        conn = pika.BlockingConnection(pika.URLParameters(server.url))
        conn.channel().basic_publish("", "harness", b"kept",
                                     pika.BasicProperties(delivery_mode=2))
        conn.close()
        port, old_pids = server.port, server.pids()
        began = time.monotonic()
        server.restart()
        print(f"RabbitMQ restarted in {time.monotonic() - began:.1f}s")
        assert server.port == port
        assert_gone([pid for pid in old_pids if pid != server.epmd.pid], server)
        assert publish_and_get(server.url, None) == b"kept"
    finally:
        pids, data_dir = server.pids(), server.dir
        server.stop()
    assert server.epmd is None and len(pids) >= 3  # shell, beam.smp, epmd at least
    assert_gone(pids, server)
    assert not Path(data_dir).exists()
    assert not port_open(port)


# --- with_servers.py -------------------------------------------------------------------

def run_with_servers(flags, script, **kwargs):
    return subprocess.run([*WITH_SERVERS, *flags, "--", sys.executable, "-c",
                           textwrap.dedent(script)], text=True, capture_output=True,
                          timeout=120, **kwargs)


def test_with_servers_exports_urls_and_propagates_the_exit_code(tmp_path):
    script = f"""
        import json, os, sys
        import pika, psycopg2, redis
        env = {{k: v for k, v in os.environ.items() if k.startswith("MMX_TEST_")}}
        psycopg2.connect(env["MMX_TEST_POSTGRES_URL"]).close()
        assert redis.Redis.from_url(env["MMX_TEST_REDIS_URL"]).ping()
        pika.BlockingConnection(pika.URLParameters(env["MMX_TEST_AMQP_URL"])).close()
        open({str(tmp_path / "env.json")!r}, "w").write(json.dumps(env))
        sys.exit(7)
    """
    done = run_with_servers(["--postgres", "--redis", "--rabbitmq"], script)
    assert done.returncode == 7, done.stderr
    env = json.loads((tmp_path / "env.json").read_text())
    assert set(env) == {"MMX_TEST_POSTGRES_URL", "MMX_TEST_REDIS_URL", "MMX_TEST_AMQP_URL",
                        "MMX_TEST_CONTROL_DIR"}
    assert not Path(env["MMX_TEST_CONTROL_DIR"]).exists()
    for url in env.values():  # every server is gone once the command has ended
        if "://" in url:
            assert not port_open(int(url.rsplit(":", 1)[1].split("/")[0])), url


def test_with_servers_exit_codes_without_servers():
    def run(*command):
        return subprocess.run([*WITH_SERVERS, "--", *command], capture_output=True, text=True,
                              timeout=30)
    assert run("false").returncode == 1
    assert run("sh", "-c", "kill -TERM $$").returncode == 128 + signal.SIGTERM
    missing = run("/nonexistent/test-binary")
    assert missing.returncode == 127 and "cannot run /nonexistent/test-binary" in missing.stderr


def test_control_dir_stops_and_starts_a_server():
    script = """
        import os, pathlib, time, redis
        control = pathlib.Path(os.environ["MMX_TEST_CONTROL_DIR"])
        client = redis.Redis.from_url(os.environ["MMX_TEST_REDIS_URL"])

        def request(what):
            (control / what).touch()
            done = control / (what + ".done")
            while not done.exists():
                time.sleep(0.02)
            answer = done.read_text()
            done.unlink()
            return answer

        assert client.ping()
        assert request("redis.stop") == "ok"
        try:
            client.ping()
            raise SystemExit("redis still answers after redis.stop")
        except redis.ConnectionError:
            pass
        assert request("redis.start") == "ok"
        assert client.ping()  # same URL: same port
        assert request("redis.restart") == "ok" and client.ping()
        answer = request("postgres.stop")
        assert answer.startswith("error: no server 'postgres'"), answer
        print("control ok")
    """
    done = run_with_servers(["--redis"], script)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "control ok" in done.stdout


def test_with_servers_stops_servers_on_sigterm(tmp_path):
    ready = tmp_path / "url"
    script = f"""
        import os, pathlib, time
        pathlib.Path({str(ready)!r}).write_text(os.environ["MMX_TEST_REDIS_URL"])
        time.sleep(60)
    """
    proc = subprocess.Popen([*WITH_SERVERS, "--redis", "--", sys.executable, "-c",
                             textwrap.dedent(script)], stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ready.exists, 30, "the command to start")
        port = int(ready.read_text().rsplit(":", 1)[1].split("/")[0])
        assert port_open(port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 128 + signal.SIGTERM
        assert not port_open(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
