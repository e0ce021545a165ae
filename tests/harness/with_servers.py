#!/usr/bin/python3
"""Runs a command with private PostgreSQL / Redis / RabbitMQ servers, e.g. from ctest:

    /usr/bin/python3 tests/harness/with_servers.py --postgres --rabbitmq -- ./some_test

The command gets MMX_TEST_POSTGRES_URL, MMX_TEST_REDIS_URL, MMX_TEST_AMQP_URL (for the
servers asked for) and MMX_TEST_CONTROL_DIR.  The servers are stopped when the command
ends, also on Ctrl-C or SIGTERM, and the exit code is the command's (128+N if a signal
N killed it).

Control directory, for tests that stop or restart a server mid-test (tests/harness/
control.hpp does this for C++): the test creates the empty file `<name>.<action>` in
MMX_TEST_CONTROL_DIR, e.g. `postgres.restart` or `rabbitmq.stop`, and waits for
`<name>.<action>.done`, which holds "ok" or an error message.  Names: postgres, redis,
rabbitmq; actions: stop, start, restart, kill.  stop and kill keep data and port, so a
later start brings the same server back on the same port.
"""
import argparse
import concurrent.futures
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import Postgres, RabbitMQ, Redis  # noqa: E402

KINDS = {  # name in the control protocol -> (class, env var with its URL)
    "postgres": (Postgres, "MMX_TEST_POSTGRES_URL"),
    "redis": (Redis, "MMX_TEST_REDIS_URL"),
    "rabbitmq": (RabbitMQ, "MMX_TEST_AMQP_URL"),
}
ACTIONS = {
    "stop": lambda server: server.stop(keep_data=True),
    "start": lambda server: server.start(),
    "restart": lambda server: server.restart(),
    "kill": lambda server: server.kill(),
}


def log(message):
    print(f"with_servers: {message}", file=sys.stderr, flush=True)


class ControlDir(threading.Thread):
    """Serves `<name>.<action>` requests one at a time, polling every 20 ms (a directory
    needs no extra dependencies, and any test language can create a file)."""

    def __init__(self, path, servers):
        super().__init__(daemon=True, name="control-dir")
        self.path = Path(path)
        self.servers = servers
        self.halt = threading.Event()

    def run(self):
        while not self.halt.wait(0.02):
            for request in sorted(self.path.iterdir()):
                if "." in request.name and not request.name.endswith((".done", ".tmp")):
                    self.serve(request)

    def serve(self, request):
        request.unlink(missing_ok=True)
        name, _, action = request.name.partition(".")
        try:
            if name not in self.servers:
                raise ValueError(f"no server '{name}' here (started: {', '.join(self.servers)})")
            if action not in ACTIONS:
                raise ValueError(f"unknown action '{action}' (known: {', '.join(ACTIONS)})")
            began = time.monotonic()
            ACTIONS[action](self.servers[name])
            log(f"{name} {action}: done in {time.monotonic() - began:.1f}s")
            answer = "ok"
        except Exception as error:  # reported to the test, which decides what it means
            answer = f"error: {error}"
            log(f"{name} {action}: {answer}")
        # write then rename: the test never reads a half-written answer
        tmp = request.with_name(request.name + ".done.tmp")
        tmp.write_text(answer)
        tmp.rename(request.with_name(request.name + ".done"))


def start_all(servers):
    """Starts the servers in parallel (RabbitMQ alone takes ~5 s); the caller stops them."""
    with concurrent.futures.ThreadPoolExecutor(len(servers) or 1) as pool:
        futures = {name: pool.submit(server.start) for name, server in servers.items()}
        errors = [f"{name}: {future.exception()}" for name, future in futures.items()
                  if future.exception()]
    if errors:
        raise RuntimeError("could not start servers:\n" + "\n".join(errors))
    for name, server in servers.items():
        log(f"{name} on {server.host}:{server.port} (started in {server.start_seconds:.1f}s)")


def stop_all(servers):
    for server in servers.values():
        try:
            server.stop()
        except Exception as error:  # keep stopping the others
            log(f"stopping {server!r} failed: {error}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     usage="%(prog)s [--postgres] [--redis] [--rabbitmq] -- CMD...")
    for name in KINDS:
        parser.add_argument(f"--{name}", action="store_true", help=f"start {name}")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (put it after --)")

    # SIGTERM (ctest timeout, CI cancel) becomes an exception so the finally below runs;
    # Ctrl-C is KeyboardInterrupt already.  Servers live in their own sessions, so
    # neither signal reaches them directly.
    def on_sigterm(signum, frame):
        raise KeyboardInterrupt(signum)
    signal.signal(signal.SIGTERM, on_sigterm)

    control_dir = tempfile.mkdtemp(prefix="mmx-ctl-")
    servers = {name: cls() for name, (cls, _) in KINDS.items() if getattr(args, name)}
    control, child = None, None
    try:
        start_all(servers)
        env = dict(os.environ, MMX_TEST_CONTROL_DIR=control_dir)
        for name, server in servers.items():
            env[KINDS[name][1]] = server.url
        control = ControlDir(control_dir, servers)
        control.start()
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as error:
            log(f"cannot run {command[0]}: {error}")
            return 127  # as a shell would
        code = child.wait()
        return 128 - code if code < 0 else code
    except KeyboardInterrupt as interrupt:
        signum = interrupt.args[0] if interrupt.args else signal.SIGINT
        if child is not None and child.poll() is None:
            child.send_signal(signum)  # Ctrl-C reached it already; a SIGTERM did not
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return 128 + signum
    except RuntimeError as error:
        log(str(error))
        return 1
    finally:
        # Cleanup must finish, or servers outlive us: a second Ctrl-C/SIGTERM waits.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if control is not None:
            control.halt.set()
            control.join()
        stop_all(servers)
        shutil.rmtree(control_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
