"""Session-wide PostgreSQL, Redis and RabbitMQ for pytest suites.

Load it from a top-level conftest (run pytest from the repository root):

    pytest_plugins = ["tests.harness.fixtures"]

Each fixture starts one private server the first time a test asks for it and stops it
(removing its temp dir) when the session ends.  The servers are shared: a test that
stops or restarts one must leave it running (server.start()) for the tests after it.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import Postgres, RabbitMQ, Redis  # noqa: E402


@pytest.fixture(scope="session")
def postgres():
    """Postgres: .url / .admin_dsn (superuser mmx_admin), .init_service_databases()."""
    with Postgres() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server():
    """Redis without persistence: .url, .client()."""
    with Redis() as server:
        yield server


@pytest.fixture(scope="session")
def rabbitmq():
    """RabbitMQ (guest/guest on loopback): .url, .connect() (a pika BlockingConnection)."""
    with RabbitMQ() as server:
        yield server
