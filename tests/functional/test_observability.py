"""Request ids, trace context, access logs and Prometheus metrics."""
import re

import requests

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


def test_request_id_kept_or_generated(server):
    r = server.get("/test/echo", headers={"X-Request-ID": "client-abc-1"})
    assert r.headers["X-Request-ID"] == "client-abc-1"
    assert r.json()["request_id"] == "client-abc-1"
    generated = server.get("/test/echo").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    hostile = server.get("/test/echo", headers={"X-Request-ID": "x" * 500}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", hostile)


def test_traceparent_continues_the_callers_trace(server):
    body = server.get("/test/echo", headers={"traceparent": PARENT}).json()
    assert body["trace_id"] == TRACE
    assert body["span_id"] != "00f067aa0ba902b7"
    fresh = server.get("/test/echo", headers={"traceparent": "garbage"}).json()
    assert fresh["trace_id"] != TRACE and len(fresh["trace_id"]) == 32


def test_client_propagates_trace_and_request_id(server):
    r = server.get("/test/call", params={"url": server.url + "/test/echo"},
                   headers={"traceparent": PARENT, "X-Request-ID": "outer-1"})
    assert r.status_code == 200, r.text
    inner = r.json()
    assert inner["request_id"] == "outer-1"
    assert inner["incoming_traceparent"].startswith(f"00-{TRACE}-")
    assert inner["trace_id"] == TRACE


def test_access_log_line_has_context_and_duration(server):
    rid = "log-check-1"
    server.get("/test/items/42", headers={"X-Request-ID": rid, "traceparent": PARENT})
    from conftest import wait_for
    line = wait_for(lambda: server.find_log(msg="request", request_id=rid), what="access log line")
    assert line["service"] == "http"
    assert line["level"] == "info"
    assert line["route"] == "/test/items/{id:int}"
    assert line["path"] == "/test/items/42"
    assert line["status"] == 200
    assert line["trace_id"] == TRACE
    assert len(line["span_id"]) == 16
    assert line["duration_ms"] >= 0


SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
                    r'(-?[0-9.e+-]+|\+Inf|-Inf|NaN)$')


def test_metrics_exposition(server):
    server.get("/healthz")
    server.get("/definitely/not/here")
    r = server.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.text
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* ", line), line
        else:
            assert SAMPLE.match(line), line
    assert re.search(r'http_requests_total\{route="/healthz",method="GET",status="200"\} \d+', text)
    # Unknown paths share one label value: scanners cannot explode cardinality.
    assert 'route="unmatched",method="GET",status="404"' in text
    assert 'http_request_duration_seconds_bucket{route="/healthz",method="GET",le="+Inf"}' in text
    for name in ["http_requests_in_flight", "worker_pool_queue_depth", "worker_pool_threads",
                 "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
                 "process_start_time_seconds", "micromax_build_info", "http_connections_open"]:
        assert re.search(rf"^{name}(\{{[^}}]*\}})? ", text, re.M), name


def test_worker_pool_offload_and_overload(make_server):
    # Only the kit's test module: the data module's outbox relay also uses the pool, and
    # this test counts every rejection.
    s = make_server(env={"MMX_WORKER_THREADS": "1", "MMX_WORKER_QUEUE": "1"}, args=["--target", "testbed"])
    assert s.get("/test/offload?ms=1").status_code == 200
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: requests.get(s.url + "/test/offload?ms=300", timeout=10), range(8)))
    codes = sorted(r.status_code for r in results)
    assert 200 in codes and 503 in codes, codes
    refused = next(r for r in results if r.status_code == 503)
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["Content-Type"] == "application/problem+json"
    rejected = re.search(r"^worker_pool_rejected_total (\d+)", s.get("/metrics").text, re.M)
    assert int(rejected.group(1)) == codes.count(503)


def test_cors_preflight_and_simple_requests(make_server):
    s = make_server(env={"MMX_CORS_ORIGINS": "https://app.example"})
    pre = requests.options(s.url + "/test/items", timeout=5, headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    simple = s.get("/healthz", headers={"Origin": "https://app.example"})
    assert simple.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "X-Request-ID" in simple.headers["Access-Control-Expose-Headers"]
    other = s.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
