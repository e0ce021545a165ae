"""The contract validator itself (tests/functional/contract.py), against a tiny contract and a
canned HTTP server: what it must catch, and what it must let through."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from contract import Contract, ContractClient, ContractViolation

PROBLEM = {"$ref": "#/components/schemas/Problem"}
DOC = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/items/{id}": {
            "get": {"operationId": "get_item", "responses": {
                "200": {"description": "x", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Item"}}}},
                "default": {"description": "e", "content": {"application/problem+json": {
                    "schema": PROBLEM}}}}},
            "delete": {"operationId": "delete_item", "responses": {
                "204": {"description": "gone"}}},
        },
        "/plain": {
            "get": {"operationId": "get_plain", "responses": {"200": {"description": "no body"}}},
        },
        "/items/special": {
            "get": {"operationId": "get_special", "responses": {
                "200": {"description": "x", "content": {"text/plain": {}}}}},
        },
    },
    "components": {"schemas": {
        "Item": {"type": "object", "required": ["id", "tags"], "properties": {
            "id": {"type": "integer"},
            "owner": {"type": "string", "format": "uuid"},
            "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}}}},
        "Tag": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "maxLength": 5}}},
        "Problem": {"type": "object", "required": ["title", "status"], "properties": {
            "title": {"type": "string"}, "status": {"type": "integer"}}},
    }},
}

PROBLEM_JSON = "application/problem+json"
# path -> (status, content type, body) the canned server answers with.
CANNED = {
    "/items/1": (200, "application/json", {"id": 1, "tags": [{"name": "a"}]}),
    "/items/2": (200, "application/json", {"id": 2, "tags": [{"name": "far-too-long"}]}),
    "/items/3": (201, "application/json", {"id": 3, "tags": []}),
    "/items/4": (200, "text/html", "<p>4</p>"),
    "/items/5": (404, PROBLEM_JSON, {"title": "Not Found", "status": 404}),
    "/items/6": (500, PROBLEM_JSON, {"detail": "no title, no status"}),
    "/items/7": (200, "application/json; charset=utf-8", {"id": "7", "tags": [],
                                                          "owner": "not-a-uuid"}),
    "/items/8": (302, "text/plain", ""),
    "/items/special": (200, "text/plain; charset=utf-8", "special"),
    "/plain": (200, "application/json", {"surprise": True}),
    "/nowhere": (404, PROBLEM_JSON, {"title": "Not Found", "status": 404}),
    "/undocumented": (200, "application/json", {}),
}


class Canned(BaseHTTPRequestHandler):
    def answer(self):
        status, ctype, body = CANNED.get(self.path, (404, PROBLEM_JSON, {"title": "?", "status": 404}))
        if self.command == "DELETE":
            status, ctype, body = 204, None, ""
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/items/1")
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_DELETE = answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def api():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield ContractClient(f"http://127.0.0.1:{httpd.server_port}", Contract(DOC, "test.openapi.json"))
    httpd.shutdown()


def violation(call):
    with pytest.raises(ContractViolation) as e:
        call()
    return str(e.value)


def test_a_valid_response_passes_and_is_counted(api):
    before = api.checked
    r = api.get("/items/1")
    assert r.status_code == 200 and r.json()["id"] == 1
    assert api.checked == before + 1
    assert "GET /items/{id} (get_item)" in api.covered
    assert "GET /items/{id} (get_item)" not in api.uncovered()


def test_a_body_that_breaks_a_referenced_schema_names_operation_status_and_pointer(api):
    msg = violation(lambda: api.get("/items/2"))
    assert "GET /items/{id} (get_item)" in msg and "-> 200" in msg
    assert "at /tags/0/name" in msg and "is too long" in msg
    assert "maxLength" in msg


def test_an_undeclared_success_status_is_caught_even_with_a_default(api):
    msg = violation(lambda: api.get("/items/3"))
    assert "answered 201, which it does not declare" in msg and "200, default" in msg


def test_a_content_type_that_is_not_declared_is_caught(api):
    msg = violation(lambda: api.get("/items/4"))
    assert "Content-Type text/html is not one of the declared application/json" in msg


def test_errors_fall_back_to_default_and_are_validated_too(api):
    assert api.get("/items/5").status_code == 404
    msg = violation(lambda: api.get("/items/6"))
    assert "-> 500" in msg and "'default'" in msg and "'title' is a required property" in msg


def test_every_error_is_listed_with_formats_checked(api):
    msg = violation(lambda: api.get("/items/7"))
    assert "at /id: '7' is not of type 'integer'" in msg
    assert "at /owner: 'not-a-uuid' is not a 'uuid'" in msg


def test_redirect_hops_are_checked_as_well(api):
    msg = violation(lambda: api.get("/items/8"))
    assert "answered 302, which it does not declare" in msg


def test_a_body_where_the_contract_declares_none_is_caught(api):
    msg = violation(lambda: api.get("/plain"))
    assert "the contract declares no body (response '200'), got 18 bytes of application/json" in msg


def test_a_literal_path_wins_over_a_template(api):
    assert api.get("/items/special").text == "special"


def test_a_response_without_a_declared_body_and_a_bodiless_status(api):
    assert api.delete("/items/9").status_code == 204


def test_unknown_paths_and_methods(api):
    # The router's 404 for a path no operation has is fine when it is a problem document...
    assert api.get("/nowhere").status_code == 404
    # ...but a success from a path the contract lacks is a violation.
    msg = violation(lambda: api.get("/undocumented"))
    assert "the contract has no operation for it" in msg


def test_the_opt_out_for_deliberately_malformed_requests(api):
    assert api.get("/items/2", unchecked=True).status_code == 200


def test_committed_contracts_load():
    c = Contract.load("auth")
    assert c.find("GET", "/auth/admin/users/0b0c8e8a-1d1e-4f4f-9a9a-2b2b2b2b2b2b").template == \
        "/auth/admin/users/{id}"
    assert c.find("GET", "/auth/users/me").template == "/auth/users/me"
    assert c.find("HEAD", "/healthz").template == "/healthz"
