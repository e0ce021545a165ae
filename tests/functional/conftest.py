"""Starts the real micromax binaries on free loopback ports for the functional tests.

Each server is a real process; its JSON log lines are collected so tests can assert on
them, and it is stopped (SIGTERM, then SIGKILL if it hangs) by its PID at the end.
"""
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import sys

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

# Real PostgreSQL, Redis and RabbitMQ on loopback, started on first use and shared by the
# session (tests/harness); importing the fixtures registers them here.
sys.path.insert(0, str(ROOT / "tests" / "harness"))
from fixtures import postgres, rabbitmq, redis_server  # noqa: E402,F401
BIN_DIR = Path(os.environ.get("MMX_BIN_DIR", ROOT / "build" / "bin"))


def wait_for(condition, timeout=10.0, interval=0.01, what="condition"):
    """Polls until condition() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Server:
    def __init__(self, binary="micromax-testbed", env=None, args=None):
        self.binary = BIN_DIR / binary
        self.data_dir = tempfile.mkdtemp(prefix="mmx-ft-")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "MMX_ENV": "local",
            "MMX_DATA_DIR": self.data_dir,
            "MMX_THREADS": "2",
            "MMX_WORKER_THREADS": "2",
            # Every event the tests make is checked against shared/contracts/asyncapi.yaml,
            # whatever the build type.
            "MMX_BROKER_VALIDATE": "true",
        }
        self.env.update(env or {})
        self.args = args or []
        self.lines = []
        self.port = None
        self.proc = None
        self._lock = threading.Lock()

    def start(self):
        self.proc = subprocess.Popen(
            [str(self.binary), "--listen", "127.0.0.1:0", *self.args],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        listening = wait_for(lambda: self.find_log(msg="listening") or self.proc.poll() is not None,
                             timeout=15, what=f"{self.binary.name} to listen")
        if listening is True:
            pytest.fail(f"{self.binary.name} exited with {self.proc.returncode}:\n" + "\n".join(self.raw_lines()))
        self.port = listening["port"]
        return self

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"raw": line}
            with self._lock:
                self.lines.append(entry)

    def raw_lines(self):
        with self._lock:
            return [json.dumps(entry) for entry in self.lines]

    def logs(self, **match):
        with self._lock:
            return [e for e in self.lines if all(e.get(k) == v for k, v in match.items())]

    def find_log(self, **match):
        found = self.logs(**match)
        return found[-1] if found else None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def get(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.get(self.url + path, **kw)

    def post(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.post(self.url + path, **kw)

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=30):
        return self.proc.wait(timeout=timeout)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def assert_clean_exit(self):
        """Exit 0 and no sanitizer report: under the asan preset this catches leaks and UB."""
        assert self.proc.returncode == 0, f"{self.binary.name} exited {self.proc.returncode}:\n" + \
            "\n".join(self.raw_lines()[-40:])
        reports = [l for l in self.raw_lines() if "Sanitizer" in l or "runtime error:" in l]
        assert not reports, "\n".join(reports)


@pytest.fixture
def make_server():
    """Factory: make_server(env={...}) starts a testbed server (or `server`, a Server not yet
    started); all are stopped after the test."""
    servers = []

    def factory(binary="micromax-testbed", env=None, args=None, server=None):
        s = (server or Server(binary, env, args)).start()
        servers.append(s)
        return s

    yield factory
    for s in servers:
        s.stop()
    for s in servers:
        s.assert_clean_exit()


@pytest.fixture(scope="module")
def server():
    """A shared testbed server for tests that do not change its configuration."""
    s = Server(env={"MMX_BODY_LIMIT": "64KiB", "MMX_HEADER_LIMIT": "8KiB"}).start()
    yield s
    s.stop()
    s.assert_clean_exit()


def raw_connection(port, timeout=5.0):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return sock


def read_until_closed(sock, limit=1 << 20):
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    return data


# The auth service's servers, SMTP sink and helpers (test_auth_*.py).
from auth_fixtures import auth, auth_sqlite, make_auth, smtp_sink  # noqa: E402,F401

# The backend service's servers and helpers (test_backend_*.py).
from backend_fixtures import backend, backend_sqlite, make_backend  # noqa: E402,F401
