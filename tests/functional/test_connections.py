"""Keep-alive, pipelining, timeouts and connection caps, on raw sockets."""
import re
import socket
import time

from conftest import raw_connection, read_until_closed, wait_for


def read_responses(sock, count, timeout=5):
    sock.settimeout(timeout)
    data = b""
    while data.count(b"HTTP/1.1 ") < count or not data.endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_keep_alive_serves_many_requests_on_one_connection(server):
    sock = raw_connection(server.port)
    for _ in range(3):
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        data = read_responses(sock, 1)
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Connection: close" not in data
    sock.close()


def test_pipelined_requests_answered_in_order(server):
    sock = raw_connection(server.port)
    reqs = b"".join(f"GET /test/items/{i} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for i in (42, 1, 42, 2, 42))
    sock.sendall(reqs)
    data = read_responses(sock, 5)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    assert statuses == [b"200", b"404", b"200", b"404", b"200"]
    sock.close()


def test_http10_closes_unless_keep_alive(server):
    sock = raw_connection(server.port)
    sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    data = read_until_closed(sock)
    assert b"200 OK" in data and b"Connection: close" in data


def test_header_timeout_answers_408_and_closes(make_server):
    s = make_server(env={"MMX_HEADER_TIMEOUT": "300ms"})
    sock = raw_connection(s.port)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: slow")  # never finishes the headers
    start = time.monotonic()
    data = read_until_closed(sock)
    elapsed = time.monotonic() - start
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), data
    assert 0.2 < elapsed < 3
    assert s.get("/healthz").status_code == 200


def test_body_timeout_answers_408(make_server):
    s = make_server(env={"MMX_BODY_TIMEOUT": "300ms"})
    sock = raw_connection(s.port)
    sock.sendall(b"POST /test/items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"name\":")
    data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408 ")


def test_idle_keep_alive_connection_is_closed(make_server):
    s = make_server(env={"MMX_IDLE_TIMEOUT": "300ms"})
    sock = raw_connection(s.port)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_responses(sock, 1).startswith(b"HTTP/1.1 200")
    start = time.monotonic()
    sock.settimeout(5)
    assert sock.recv(1) == b""  # closed by the server, not by our timeout
    assert time.monotonic() - start < 3


def test_connection_cap_refuses_with_503(make_server):
    s = make_server(env={"MMX_MAX_CONNECTIONS": "2", "MMX_THREADS": "1"})
    held = [raw_connection(s.port), raw_connection(s.port)]
    for h in held:  # make sure both are accepted and counted
        h.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_responses(h, 1).startswith(b"HTTP/1.1 200")
    extra = raw_connection(s.port)
    data = read_until_closed(extra)
    assert data.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b"Retry-After: 1" in data
    held[0].close()
    # Once a slot frees up, new connections are served again.
    def served():
        try:
            c = raw_connection(s.port)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            return read_until_closed(c).startswith(b"HTTP/1.1 200")
        except OSError:
            return False
    wait_for(served, what="a freed connection slot")
    metrics = s.get("/metrics", headers={"Connection": "close"}).text
    rejected = re.search(r"^http_connections_rejected_total (\d+)$", metrics, re.M)
    assert int(rejected.group(1)) >= 1


def test_max_requests_per_connection(make_server):
    s = make_server(env={"MMX_MAX_REQUESTS_PER_CONNECTION": "2"})
    sock = raw_connection(s.port)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n" * 2)
    data = read_until_closed(sock)
    assert data.count(b"HTTP/1.1 200 OK") == 2
    assert data.count(b"Connection: close") == 1
