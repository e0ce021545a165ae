"""Start-up, command line, configuration errors and graceful shutdown."""
import json
import signal
import socket
import subprocess
import threading
import time

import requests

from conftest import BIN_DIR, Server, wait_for


def run(*args, env=None):
    base = {"PATH": "/usr/bin:/bin", "MMX_ENV": "local"}
    base.update(env or {})
    return subprocess.run([str(BIN_DIR / "micromax"), *args], capture_output=True, text=True,
                          timeout=30, env=base)


def test_help_lists_every_setting_with_its_default():
    out = run("--help")
    assert out.returncode == 0
    for needle in ["--target=all|LIST", "--listen=HOST:PORT", "--data-dir=DIR", "--config=FILE",
                   "MMX_LISTEN (host:port)", "default: 127.0.0.1:8000", "MMX_BODY_LIMIT (size)",
                   "default: 1MiB", "MMX_LOG_FORMAT (choice: json|text)", "MMX_OTLP_ENDPOINT",
                   "MMX_DRAIN_TIMEOUT", "MMX_CORS_ORIGINS"]:
        assert needle in out.stdout, needle


def test_targets_and_version():
    out = run("targets")
    assert out.returncode == 0
    assert "server (internal)" in out.stdout and "all" in out.stdout
    v = run("version")
    assert v.returncode == 0 and v.stdout.startswith("micromax ")


def test_openapi_subcommand_prints_the_document():
    out = run("openapi")
    assert out.returncode == 0
    # stdout is the document and nothing else (module start-up logs go to stderr), so
    # `micromax openapi > contract.json` writes valid JSON.
    doc = json.loads(out.stdout)
    assert doc["openapi"] == "3.1.0"


def test_bad_settings_are_named_and_exit_2():
    out = run(env={"MMX_LISTEN": "nowhere", "MMX_BODY_LIMIT": "huge", "MMX_LOG_LEVEL": "loud"})
    assert out.returncode == 2
    for name in ["MMX_LISTEN", "MMX_BODY_LIMIT", "MMX_LOG_LEVEL"]:
        assert name in out.stderr
    assert "one of trace, debug, info, warn, error, off" in out.stderr


def test_unknown_target_flag_and_command():
    assert "unknown target 'frontend'" in run("--target=frontend").stderr
    bad = run("--colour=yes")
    assert bad.returncode == 2 and "unknown flag --colour" in bad.stderr
    assert run("launch").returncode == 2


def test_config_file_with_env_override(tmp_path):
    cfg = tmp_path / "mmx.env"
    cfg.write_text("MMX_LOG_FORMAT=text\nMMX_BODY_LIMIT=2KiB\n")
    s = Server("micromax", env={"MMX_BODY_LIMIT": "4KiB", "MMX_LOG_FORMAT": "json"},
               args=["--config", str(cfg)]).start()
    try:
        ok = s.get("/healthz")
        assert ok.status_code == 200
        big = requests.post(s.url + "/healthz", data=b"x" * 3000, timeout=5)
        assert big.status_code == 405  # 3000 bytes fit the env's 4KiB, not the file's 2KiB
    finally:
        s.stop()
    bad = tmp_path / "bad.env"
    bad.write_text("MMX_NOT_A_SETTING=1\n")
    out = run("--config", str(bad))
    assert out.returncode == 2 and "MMX_NOT_A_SETTING: unknown setting" in out.stderr


def test_port_in_use_is_a_clear_error():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        out = run("--listen", f"127.0.0.1:{port}")
        assert out.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
        assert "in use" in out.stderr
    finally:
        holder.close()


def test_real_binary_starts_fast_and_serves_the_kit():
    s = Server("micromax").start()
    try:
        ready = s.find_log(msg="listening")
        assert ready["ready_ms"] < 1000
        assert s.get("/healthz").json() == {"status": "ok"}
        assert s.get("/readyz").status_code == 200
        assert s.get("/test/items/42").status_code == 404  # no test module in the real binary
    finally:
        s.stop()
    assert s.proc.returncode == 0


def test_graceful_drain(make_server):
    s = make_server(env={"MMX_DRAIN_TIMEOUT": "10s"})
    result = {}

    def slow():
        result["r"] = requests.get(s.url + "/test/slow?ms=1500", timeout=20)

    t = threading.Thread(target=slow)
    t.start()
    # The /metrics request counts itself: 2 means the slow one is in flight too.
    wait_for(lambda: "\nhttp_requests_in_flight 2\n" in s.get("/metrics").text,
             what="the slow request in flight")
    s.signal(signal.SIGTERM)

    def refused():
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
            return False
        except ConnectionResetError:
            return False  # queued on the listener as it closed; the next try is refused
        except ConnectionRefusedError:
            return True
    wait_for(refused, what="new connections to be refused")
    t.join(timeout=20)
    r = result["r"]
    assert r.status_code == 200 and r.json() == {"slept_ms": 1500}
    assert r.headers["Connection"] == "close"
    assert s.wait(timeout=15) == 0
    # The process has exited; its last lines may still be in the pipe.
    assert wait_for(lambda: s.find_log(msg="draining"), what="draining log")["signal"] == "SIGTERM"
    assert wait_for(lambda: s.find_log(msg="stopped"), what="stopped log")["clean"] is True


def test_drain_delay_turns_readyz_503_while_still_accepting(make_server):
    s = make_server(env={"MMX_DRAIN_DELAY": "2s"})
    assert s.get("/readyz").status_code == 200
    s.signal(signal.SIGINT)
    # (a Response with a 4xx/5xx status is falsy, so wait for the body, not the response)
    body = wait_for(lambda: (lambda x: x.json() if x.status_code == 503 else None)(s.get("/readyz")),
                    what="readyz to turn 503")
    assert body["status"] == "draining"
    assert s.get("/healthz").status_code == 200  # still accepting and alive during the delay
    assert s.wait(timeout=15) == 0


def test_drain_deadline_bounds_shutdown(make_server):
    s = make_server(env={"MMX_DRAIN_TIMEOUT": "300ms"})
    def slow():
        try:
            requests.get(s.url + "/test/slow?ms=10000", timeout=20)
        except requests.ConnectionError:
            pass  # expected: the deadline closes it
    t = threading.Thread(target=slow, daemon=True)
    t.start()
    wait_for(lambda: "\nhttp_requests_in_flight 2\n" in s.get("/metrics").text,
             what="slow request in flight")
    start = time.monotonic()
    s.signal(signal.SIGTERM)
    assert s.wait(timeout=15) == 0
    assert time.monotonic() - start < 5
    assert wait_for(lambda: s.find_log(msg="stopped"), what="stopped log")["clean"] is False
