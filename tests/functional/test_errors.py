"""Every error is RFC 9457 problem+json with a clear message, and loses nothing."""
import socket

import requests

from conftest import raw_connection, read_until_closed, wait_for

PROBLEM = "application/problem+json"


def assert_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == PROBLEM
    body = r.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    assert body["request_id"] == r.headers["X-Request-ID"]
    return body


def test_404(server):
    body = assert_problem(server.get("/no/such/thing"), 404)
    assert body["instance"] == "/no/such/thing"
    assert "/no/such/thing" in body["detail"]


def test_405_lists_allowed_methods(server):
    r = requests.delete(server.url + "/healthz", timeout=5)
    assert_problem(r, 405)
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_options_answers_allow(server):
    r = requests.options(server.url + "/test/items", timeout=5)
    assert r.status_code == 204
    assert r.headers["Allow"] == "POST, OPTIONS"


def test_422_lists_every_failing_field_with_its_pointer(server):
    r = server.post("/test/items", json={
        "name": "", "price_cents": -5, "kind": "toaster",
        "lines": [{"product_id": 1, "quantity": 0}, {"product_id": "x", "quantity": 2}],
        "extra": True})
    body = assert_problem(r, 422)
    pointers = {e["pointer"]: e["detail"] for e in body["errors"]}
    assert set(pointers) == {"/name", "/price_cents", "/kind", "/lines/0/quantity",
                             "/lines/1/product_id", "/extra"}
    assert "between 0 and 1000000" in pointers["/price_cents"]
    assert "one of: book, game" in pointers["/kind"]
    assert pointers["/extra"] == "unknown field"


def test_422_missing_fields_and_malformed_json(server):
    body = assert_problem(server.post("/test/items", json={}), 422)
    assert {e["pointer"] for e in body["errors"]} == {"/name", "/price_cents", "/kind", "/lines"}
    bad = server.post("/test/items", data=b'{"name": ', headers={"Content-Type": "application/json"})
    body = assert_problem(bad, 422)
    assert "malformed JSON" in body["errors"][0]["detail"]


def test_valid_body_is_accepted(server):
    r = server.post("/test/items", json={"name": "Dune", "price_cents": 999, "kind": "book",
                                         "lines": [{"product_id": 7, "quantity": 1}]})
    assert r.status_code == 201
    assert r.json() == {"id": 42, "name": "Dune", "price_cents": 999, "kind": "book", "lines": 1}
    assert r.headers["Location"] == "/test/items/42"


def test_415_for_non_json_body(server):
    r = server.post("/test/items", data="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415)


def test_typed_path_and_query_parameters(server):
    body = assert_problem(server.get("/test/items/abc"), 422)
    assert body["errors"] == [{"parameter": "id", "in": "path", "detail": "must be an integer"}]
    body = assert_problem(server.get("/test/slow?ms=soon"), 422)
    assert body["errors"][0]["parameter"] == "ms"
    assert_problem(server.get("/test/items/7"), 404)
    assert server.get("/test/items/42").json()["name"] == "answer"


def test_413_body_too_large(server):
    r = server.post("/test/items", data=b"x" * (65 * 1024), headers={"Content-Type": "application/json"})
    body = assert_problem(r, 413)
    assert "65536 bytes" in body["detail"]
    assert r.headers["Connection"] == "close"


def test_413_chunked_body_too_large(server):
    def chunks():
        for _ in range(70):
            yield b"y" * 1024
    r = requests.post(server.url + "/test/items", data=chunks(), timeout=10,
                      headers={"Content-Type": "application/json"})
    assert_problem(r, 413)


def test_431_headers_too_large(server):
    r = server.get("/healthz", headers={"X-Big": "z" * 9000})
    body = assert_problem(r, 431)
    assert "8192 bytes" in body["detail"]


def test_400_malformed_request_line(server):
    sock = raw_connection(server.port)
    sock.sendall(b"GARBAGE\r\n\r\n")
    data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"application/problem+json" in data


def test_500_hides_internals_and_logs_them_with_the_request_id(server):
    r = server.get("/test/boom")
    body = assert_problem(r, 500)
    assert "hunter2" not in r.text and "secret" not in r.text
    rid = body["request_id"]
    line = wait_for(lambda: server.find_log(msg="request failed", request_id=rid),
                    what="the 500 to be logged with its request id")
    assert "hunter2" in line["error"]  # the full error stays in the server log
    access = wait_for(lambda: server.find_log(msg="request", request_id=rid), what="access log line")
    assert access["status"] == 500 and access["level"] == "error"


def test_server_keeps_serving_after_errors(server):
    for path in ["/test/boom", "/nope", "/test/items/x"]:
        server.get(path)
    assert server.get("/healthz").status_code == 200


def test_response_splitting_is_impossible(server):
    # A CR/LF in a request header never reaches a response header.
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\r\nConnection: close\r\n\r\n")
    data = read_until_closed(s)
    assert data.count(b"X-Request-ID:") == 1
