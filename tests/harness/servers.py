"""Private, throwaway PostgreSQL, Redis and RabbitMQ instances for tests.

Each instance lives in its own temp dir, listens on 127.0.0.1 on a free port and is
started as a child process in a new session, so the terminal's Ctrl-C reaches the test
runner, not the servers, and we can stop exactly the processes we started (by PID and
by the process group we created) and nothing else.

    with Redis() as r:          # start() ... stop()
        use(r.url)
        r.restart()             # same port, same data dir

stop(keep_data=True) / start() and restart() keep the port and the data; stop() without
keep_data also removes the temp dir.  kill() is a hard crash (SIGKILL) that keeps the data.

Stdlib plus the Debian modules psycopg2, redis and pika; run with /usr/bin/python3.
"""
import contextlib
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("MMX_PG_BIN", "/usr/lib/postgresql/15/bin"))
RABBITMQ_SERVER = os.environ.get("MMX_RABBITMQ_SERVER", "/usr/lib/rabbitmq/bin/rabbitmq-server")
INIT_DATABASES_SCRIPT = ROOT / "infra/docker/postgres/initdb.d/10-create-service-databases.sh"

POLL = 0.02          # seconds between readiness / exit checks
PORT_ATTEMPTS = 3    # a fresh instance retries with new ports when one was taken meanwhile
# How each server reports a port taken by someone else (epmd only says so with -d).
_PIKA_QUIET = threading.Lock()
_PORT_IN_USE = re.compile(r"address already in use|eaddrinuse|could not bind to distribution port"
                          r"|there is already a epmd running", re.IGNORECASE)


class ServerError(RuntimeError):
    pass


def free_port(host=HOST):
    """A port that was free a moment ago (the kernel picks it when binding port 0).

    Another process may grab it before the server binds it; start() detects that from
    the server's log and retries with a new port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def log_tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


# --- process bookkeeping -------------------------------------------------------------

def _proc_stat(pid):
    """(ppid, state, starttime) of a live process, or None.  starttime tells a process
    from a later one that reused its PID."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # the command name may contain spaces
    return int(fields[1]), fields[0], int(fields[19])


def process_alive(pid, starttime=None):
    """True while pid runs (zombies count as gone: they are dead, just not yet reaped)."""
    stat = _proc_stat(pid)
    return stat is not None and stat[1] != "Z" and (starttime is None or stat[2] == starttime)


def descendants(pid):
    """[(pid, starttime)] of every live descendant of pid, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat:
                children.setdefault(stat[0], []).append((int(entry), stat[2]))
    found, to_visit = [], [pid]
    while to_visit:
        for child in children.get(to_visit.pop(), []):
            found.append(child)
            to_visit.append(child[0])
    return found


def _exited(proc):
    """Whether proc has exited, WITHOUT reaping it: while it is an unreaped zombie its
    PID (and so its process group id) cannot be reused, which makes killpg() safe."""
    if proc.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _signal(proc, sig, group):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if proc.returncode is None:  # never signal a PID we have already reaped
            (os.killpg if group else os.kill)(proc.pid, sig)


def _wait_exit(proc, timeout):
    deadline = time.monotonic() + timeout
    while not _exited(proc):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL)
    return True


def terminate(proc, sig=signal.SIGTERM, group=True, timeout=20.0, grace=5.0):
    """Stops a process we started: sig, then SIGKILL after timeout.  Its other
    descendants (snapshotted first: Erlang port programs and PostgreSQL backends leave
    our process group) get `grace` seconds to follow before they are SIGKILLed too."""
    if proc is None:
        return
    kids = descendants(proc.pid) if proc.returncode is None else []
    _signal(proc, sig, group)
    if not _wait_exit(proc, timeout):
        _signal(proc, signal.SIGKILL, True)
        _wait_exit(proc, 10)
    _signal(proc, signal.SIGKILL, True)  # stragglers in our group; the zombie holds the id
    proc.wait()
    deadline = time.monotonic() + grace
    while any(process_alive(*k) for k in kids) and time.monotonic() < deadline:
        time.sleep(POLL)
    for pid, start in kids:
        if process_alive(pid, start):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def hard_kill(proc):
    """SIGKILL the process and everything below it at once: a crash, no shutdown."""
    if proc is None or proc.returncode is not None:
        return
    kids = descendants(proc.pid)
    _signal(proc, signal.SIGKILL, True)
    for pid, start in kids:
        if process_alive(pid, start):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(process_alive(*k) for k in kids) and time.monotonic() < deadline:
        time.sleep(POLL)


# --- servers ---------------------------------------------------------------------------

class _Server:
    """start() a fresh instance or, after stop(keep_data=True)/kill(), the same one again
    (same dir, same port).  Subclasses fill in the hooks below."""
    name = "server"
    ready_timeout = 30.0
    stop_signal = signal.SIGTERM
    stop_timeout = 20.0

    def __init__(self, ready_timeout=None):
        if ready_timeout is not None:
            self.ready_timeout = ready_timeout
        self.host = HOST
        self.port = None
        self.dir = None
        self.proc = None
        self._log_offset = 0
        self.start_seconds = None  # how long the last start() took, for reports

    # hooks
    def _prepare(self):
        """Once per fresh temp dir (initdb and the like)."""

    def _choose_ports(self):
        self.port = free_port()

    def _command(self):
        """(argv, env, extra Popen kwargs) for one launch."""
        raise NotImplementedError

    def _ready(self):
        """One readiness probe; True when clients can use the server."""
        raise NotImplementedError

    def _before_launch(self):
        """Each launch, before the server starts (helpers, port-dependent config)."""

    def _after_stop(self, keep_data):
        """After the server has stopped (helpers that outlive restarts)."""

    @property
    def url(self):
        raise NotImplementedError

    @property
    def log_path(self):
        return Path(self.dir) / "server.log"

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        if self.running:
            return self
        began = time.monotonic()
        fresh = self.dir is None
        for attempt in range(1, PORT_ATTEMPTS + 1):
            if fresh:
                self.dir = tempfile.mkdtemp(prefix=f"mmx-{self.name}-")
                self._choose_ports()
            try:
                if fresh:
                    self._prepare()
                self._launch()
                self._wait_ready()
                self.start_seconds = time.monotonic() - began
                return self
            except BaseException as error:
                taken = isinstance(error, ServerError) and self._port_taken()
                self.stop(keep_data=not fresh)
                if not (fresh and taken) or attempt == PORT_ATTEMPTS:
                    raise
                # else a port was taken between free_port() and the bind: try new ports

    def _launch(self):
        self._log_offset = os.path.getsize(self.log_path) if self.log_path.exists() else 0
        self._before_launch()
        argv, env, extra = self._command()
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} {' '.join(argv)}\n".encode())
            log.flush()
            # New session: Ctrl-C in the terminal does not reach the server, and the
            # process group we stop is ours alone.
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         **extra)

    def _wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with code {self.proc.returncode} while "
                                  f"starting; log {self.log_path}:\n{log_tail(self.log_path)}")
            if self._ready():
                return
            if self._port_taken():  # RabbitMQ takes ~10 s more to exit after eaddrinuse
                raise ServerError(f"{self.name}: a port is already in use; log {self.log_path}:"
                                  f"\n{log_tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise ServerError(f"{self.name} not ready after {self.ready_timeout:.0f}s; "
                                  f"log {self.log_path}:\n{log_tail(self.log_path)}")
            time.sleep(POLL)

    def _port_taken(self):
        """Whether this launch's output says a port was taken."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                return bool(_PORT_IN_USE.search(log.read().decode(errors="replace")))
        except OSError:
            return False

    def stop(self, keep_data=False):
        """Stops the processes we started; keep_data keeps the dir and port for start()."""
        terminate(self.proc, self.stop_signal, group=True, timeout=self.stop_timeout)
        self._after_stop(keep_data)
        if not keep_data and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def kill(self):
        """Hard crash (SIGKILL, no shutdown); data and port stay for start()."""
        hard_kill(self.proc)

    def restart(self):
        self.stop(keep_data=True)
        return self.start()

    def pids(self):
        """PIDs of the server and everything it spawned (for leak checks)."""
        if not self.running:
            return []
        return [self.proc.pid] + [pid for pid, _ in descendants(self.proc.pid)]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"<{type(self).__name__} {self.host}:{self.port} dir={self.dir}>"


class Postgres(_Server):
    """PostgreSQL 15 with scram-sha-256 auth everywhere (wrong passwords are refused) and
    a password superuser `mmx_admin`.  PostgreSQL refuses to run as root, so as root
    initdb/postgres run as the `postgres` OS user; any other user runs them directly."""
    name = "pg"
    user = "mmx_admin"
    stop_signal = signal.SIGINT  # "fast" shutdown; SIGTERM would wait for clients to leave

    def __init__(self, ready_timeout=None):
        super().__init__(ready_timeout)
        self.password = secrets.token_hex(16)  # hex: safe in URLs and DSNs unquoted
        self._as_user = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            self._as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    @property
    def url(self):
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/postgres"

    @property
    def admin_dsn(self):
        return (f"host={self.host} port={self.port} user={self.user} "
                f"password={self.password} dbname=postgres")

    def _env(self):
        return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

    def _prepare(self):
        if self._as_user:
            os.chown(self.dir, self._as_user["user"], self._as_user["group"])
        pwfile = Path(self.dir) / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as_user:
            os.chown(pwfile, self._as_user["user"], self._as_user["group"])
        try:
            done = subprocess.run(
                [str(PG_BIN / "initdb"), "-D", str(Path(self.dir) / "data"), "-U", self.user,
                 f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync"],
                env=self._env(), cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, **self._as_user)
        finally:
            pwfile.unlink()
        if done.returncode != 0:
            raise ServerError(f"initdb failed ({done.returncode}):\n{done.stdout[-3000:]}")

    def _command(self):
        argv = [str(PG_BIN / "postgres"), "-D", str(Path(self.dir) / "data"),
                "-p", str(self.port), "-k", self.dir,
                "-c", "listen_addresses=127.0.0.1",
                # durability is not under test here; these make tests several times faster
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return argv, self._env(), dict(cwd=self.dir, **self._as_user)

    def _ready(self):
        import psycopg2
        try:
            psycopg2.connect(self.admin_dsn, connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    def connect(self, **kwargs):
        import psycopg2
        return psycopg2.connect(self.admin_dsn, **kwargs)

    def init_service_databases(self, services):
        """Runs infra/docker/postgres/initdb.d/10-create-service-databases.sh (the script
        the postgres image runs) against this instance: {service: password}."""
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
               "PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user,
               "PGPASSWORD": self.password, "PGDATABASE": "postgres",
               "MMX_SERVICE_DATABASES": " ".join(services)}
        for service, password in services.items():
            env[f"MMX_DB_PASSWORD_{service.upper()}"] = password
        done = subprocess.run(["bash", str(INIT_DATABASES_SCRIPT)], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise ServerError(f"{INIT_DATABASES_SCRIPT.name} failed ({done.returncode}):\n"
                              f"{done.stdout}")
        return done.stdout

    def service_url(self, service, password):
        """URL for a service role made by init_service_databases()."""
        return (f"postgresql://{service}:{urllib.parse.quote(password, safe='')}"
                f"@{self.host}:{self.port}/{service}")


class Redis(_Server):
    """redis-server without persistence, or with appendonly=True for durability tests
    (then data survives restart(); kill() may lose the last second: appendfsync
    everysec)."""
    name = "redis"

    def __init__(self, appendonly=False, ready_timeout=None):
        super().__init__(ready_timeout)
        self.appendonly = appendonly

    @property
    def url(self):
        return f"redis://{self.host}:{self.port}/0"

    def _command(self):
        argv = ["redis-server", "--port", str(self.port), "--bind", self.host,
                "--save", "", "--appendonly", "yes" if self.appendonly else "no",
                "--dir", self.dir, "--daemonize", "no"]
        return argv, {"PATH": "/usr/bin:/bin"}, {}

    def _ready(self):
        import redis
        try:
            with redis.Redis(host=self.host, port=self.port, socket_connect_timeout=1,
                             socket_timeout=2) as client:
                return client.ping()
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
            return False

    def client(self, **kwargs):
        import redis
        return redis.Redis(host=self.host, port=self.port, **kwargs)


class RabbitMQ(_Server):
    """A private RabbitMQ node with its own epmd, so no system epmd or node is touched.

    Everything the node writes (mnesia, cookie, logs, config) is under the temp dir:
    rabbitmq-env reads /etc/rabbitmq/rabbitmq-env.conf and $HOME/.erlang.cookie unless
    told otherwise.  RabbitMQ 3.10 only checks that RABBITMQ_DIST_PORT is a free, valid
    port; the node still listened for distribution on a random port on 0.0.0.0, so the
    listener is pinned to loopback and the same port in rabbitmq.conf
    (distribution.listener.*).  `-start_epmd false` stops erl
    from spawning an epmd daemon of its own that we would not own."""
    name = "rabbitmq"
    ready_timeout = 60.0

    def __init__(self, ready_timeout=None):
        super().__init__(ready_timeout)
        self.nodename = f"rabbit-{secrets.token_hex(4)}@localhost"
        self.dist_port = None
        self.epmd_port = None
        self.epmd = None

    @property
    def url(self):
        return f"amqp://guest:guest@{self.host}:{self.port}/%2f"  # guest works on loopback

    def _choose_ports(self):
        self.port, self.dist_port, self.epmd_port = free_port(), free_port(), free_port()

    def _prepare(self):
        Path(self.dir, "enabled_plugins").write_text("[].\n")

    def _env(self):
        d = self.dir
        return {
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "HOME": d,  # the Erlang cookie goes to $HOME/.erlang.cookie
            "ERL_EPMD_PORT": str(self.epmd_port), "ERL_EPMD_ADDRESS": self.host,
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": self.host, "RABBITMQ_NODE_PORT": str(self.port),
            # checked by the boot, not applied (see the class comment); its default,
            # NODE_PORT + 20000, is over 65535 for half the ports free_port() returns
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": f"{d}/mnesia", "RABBITMQ_LOG_BASE": f"{d}/log",
            "RABBITMQ_LOGS": "-",  # to stdout, i.e. server.log, so errors show its tail
            "RABBITMQ_CONFIG_FILE": f"{d}/rabbitmq.conf",
            "RABBITMQ_ADVANCED_CONFIG_FILE": f"{d}/advanced.config",  # absent: no /etc one
            "RABBITMQ_CONF_ENV_FILE": f"{d}/rabbitmq-env.conf",       # absent: no /etc one
            "RABBITMQ_ENABLED_PLUGINS_FILE": f"{d}/enabled_plugins",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-start_epmd false",
        }

    def _before_launch(self):
        Path(self.dir, "rabbitmq.conf").write_text(
            "distribution.listener.interface = 127.0.0.1\n"
            f"distribution.listener.port_range.min = {self.dist_port}\n"
            f"distribution.listener.port_range.max = {self.dist_port}\n")
        if self.epmd is None or self.epmd.poll() is not None:
            self._start_epmd()

    def _start_epmd(self):
        # In the foreground (no -daemon) so the PID is ours to stop; -d so that it says
        # why it exits (a taken port) in server.log instead of only to syslog.
        with open(self.log_path, "ab") as log:
            self.epmd = subprocess.Popen(
                ["epmd", "-d", "-port", str(self.epmd_port), "-address", self.host],
                env=self._env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 10
        while not self._epmd_answers():
            if self.epmd.poll() is not None:
                raise ServerError(f"epmd exited with code {self.epmd.returncode}; log "
                                  f"{self.log_path}:\n{log_tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise ServerError(f"epmd did not answer within 10s:\n{log_tail(self.log_path)}")
            time.sleep(POLL)

    def _epmd_answers(self):
        """A NAMES request answered with our port: our epmd listens, not someone else."""
        try:
            with socket.create_connection((self.host, self.epmd_port), timeout=1) as s:
                s.sendall(b"\x00\x01n")
                return s.recv(4) == self.epmd_port.to_bytes(4, "big")
        except OSError:
            return False

    def _command(self):
        return [RABBITMQ_SERVER], self._env(), dict(cwd=self.dir)

    def _ready(self):
        import pika
        from pika.adapters.utils.connection_workflow import AMQPConnectorException
        # Probe the port first: cheap, and the AMQP listener opens only late in the boot.
        try:
            socket.create_connection((self.host, self.port), timeout=1).close()
        except OSError:
            return False
        # stack_timeout: a port held by a non-AMQP listener would stall pika for 15 s
        params = pika.URLParameters(
            self.url + "?connection_attempts=1&socket_timeout=2&stack_timeout=3")
        pika_log = logging.getLogger("pika")
        with _PIKA_QUIET:  # pika logs a failed attempt as an ERROR: not news while starting
            level, pika_log.level = pika_log.level, logging.CRITICAL
            try:
                pika.BlockingConnection(params).close()
                return True
            except (pika.exceptions.AMQPError, AMQPConnectorException, OSError):
                return False
            finally:
                pika_log.setLevel(level)

    def _after_stop(self, keep_data):
        # epmd outlives stop(keep_data=True)/start(): nodes come back on the same epmd port.
        if not keep_data:
            terminate(self.epmd, signal.SIGTERM, group=True, timeout=5)
            self.epmd = None

    def pids(self):
        alive = [self.epmd.pid] if self.epmd is not None and self.epmd.poll() is None else []
        return super().pids() + alive

    def connect(self):
        import pika
        return pika.BlockingConnection(pika.URLParameters(self.url))
