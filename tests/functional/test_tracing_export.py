"""Spans reach an OTLP/HTTP collector in batches; a dead collector never slows requests."""
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import wait_for

TRACE = "0af7651916cd43dd8448eb211c80319c"


class Collector:
    def __init__(self):
        self.batches = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.batches.append((self.path, self.headers["Content-Type"], json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def spans(self):
        for _, _, batch in list(self.batches):
            for rs in batch["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    yield from ss["spans"]

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def collector():
    c = Collector()
    yield c
    c.close()


def test_server_spans_exported_with_the_callers_trace(make_server, collector):
    s = make_server(env={"MMX_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.port}",
                         "MMX_SERVICE_NAME": "testbed-svc"})
    s.get("/test/items/42", headers={"traceparent": f"00-{TRACE}-b7ad6b7169203331-01"})
    span = wait_for(lambda: next((sp for sp in collector.spans() if sp["traceId"] == TRACE), None),
                    what="the span at the collector")
    assert span["name"] == "GET /test/items/{id:int}"
    assert span["parentSpanId"] == "b7ad6b7169203331"
    assert span["kind"] == 2
    attrs = {a["key"]: a["value"] for a in span["attributes"]}
    assert attrs["http.response.status_code"] == {"intValue": "200"}
    path, ctype, batch = collector.batches[0]
    assert path == "/v1/traces" and ctype.startswith("application/json")
    resource = {a["key"]: a["value"]["stringValue"] for a in batch["resourceSpans"][0]["resource"]["attributes"]}
    assert resource["service.name"] == "testbed-svc"


def test_dead_collector_does_not_slow_requests(make_server):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead_port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    s = make_server(env={"MMX_OTLP_ENDPOINT": f"http://127.0.0.1:{dead_port}"})
    start = time.monotonic()
    for _ in range(50):
        assert s.get("/healthz").status_code == 200
    assert time.monotonic() - start < 5
    metrics = wait_for(lambda: (lambda t: t if "otlp_export_failures_total" in t and
                                "\notlp_export_failures_total 0\n" not in t else None)(s.get("/metrics").text),
                       what="export failures to be counted")
    assert "otlp_spans_dropped_total" in metrics
