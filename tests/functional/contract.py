"""Every response a functional test receives, checked against the service's committed contract.

    from contract import ContractClient

    api = ContractClient(server.url, "backend")   # shared/contracts/backend.openapi.json
    r = api.get("/api/v1/products/42")             # a requests.Response, already validated
    r = api.post("/api/v1/orders", json={...}, headers=bearer(token))

`ContractClient` is a `requests.Session` whose every response (redirect hops included) must
be what the contract says: its operation is found by method + path template
(`/api/v1/products/{id}`), its status is declared (a 1xx-3xx one explicitly: `default`
describes our errors, RFC 9457 problems, so it only stands in for 4xx/5xx), its content type
is one the response declares, and a JSON body validates against the declared schema (OpenAPI
3.1 = JSON Schema 2020-12, `#/components/schemas/...` refs resolved in the document, formats
checked). A mismatch raises `ContractViolation` (an AssertionError, so the test fails) naming
the operation, the status, the JSON pointer into the body and the schema error.

A path the contract does not have is a violation too, except a 404 or 405 from the router
(unknown path or method), which must still be a valid Problem document.

Opt-out, for deliberately malformed requests only (a broken body the server refuses before
routing, say): `api.post(..., unchecked=True)`.
"""
import functools
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import requests
from jsonschema import Draft202012Validator, FormatChecker

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "shared" / "contracts"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ContractViolation(AssertionError):
    """A response that is not what the contract declares."""


def _pointer(path):
    """A jsonschema error path as a JSON pointer (RFC 6901)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


def _media_type(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def _is_json(media_type):
    return media_type == "application/json" or media_type.endswith("+json")


class Operation:
    def __init__(self, method, template, op):
        self.method, self.template, self.op = method, template, op
        self.name = f"{method.upper()} {template} ({op.get('operationId', '?')})"
        # {name} matches one segment; literal segments count, so /users/me beats /users/{id}.
        parts = re.split(r"(\{[^}/]+\})", template)
        self.regex = re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p)
                                              for p in parts if p) + "$")
        self.specificity = (-template.count("{"), len(template))

    def response(self, status):
        """The declared response for `status` and the key it is under, or (None, None)."""
        responses = self.op.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX"):
            if key in responses:
                return key, responses[key]
        if status >= 400 and "default" in responses:
            return "default", responses["default"]
        return None, None


class Contract:
    """A committed OpenAPI 3.1 document, ready to check responses against."""

    def __init__(self, doc, name="contract"):
        self.doc, self.name = doc, name
        self.operations = sorted(
            (Operation(m, path, op) for path, item in doc.get("paths", {}).items()
             for m, op in item.items() if m in METHODS),
            key=lambda o: o.specificity, reverse=True)
        self._validators = {}

    @classmethod
    def load(cls, service):
        """shared/contracts/<service>.openapi.json (read once per test session)."""
        return _load(service)

    def find(self, method, path):
        """The operation for an HTTP method and a request path; HEAD falls back to GET."""
        method = method.lower()
        for m in (method, "get") if method == "head" else (method,):
            for op in self.operations:
                if op.method == m and op.regex.match(path):
                    return op
        return None

    def path_known(self, path):
        return any(op.regex.match(path) for op in self.operations)

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = _validator(schema, self.doc)
        return self._validators[key]

    def check(self, response):
        """Raises ContractViolation when `response` (a requests.Response) breaks the contract;
        returns its Operation (None for the router's 404/405 to an unknown path or method)."""
        method = response.request.method
        path = urlsplit(response.request.url).path
        status = response.status_code
        op = self.find(method, path)
        if op is None:
            if status in (404, 405):
                # The router's own answer to an unknown path or method: still a problem document.
                declared = {"content": {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}}
                where = f"{method} {path} (no such operation)"
                self._check_body(where, status, "router error", declared, response)
                return None
            raise ContractViolation(
                f"{self.name}: {method} {path} answered {status}, but the contract has no "
                f"operation for it" + (" (the path exists with other methods)"
                                       if self.path_known(path) else ""))
        key, declared = op.response(status)
        if declared is None:
            listed = ", ".join(op.op.get("responses", {}))
            raise ContractViolation(f"{self.name}: {op.name} answered {status}, which it does "
                                    f"not declare (declared: {listed})\nbody: {response.text[:300]}")
        self._check_body(op.name, status, key, declared, response)
        return op

    def _check_body(self, where, status, key, declared, response):
        content = declared.get("content") or {}
        body = response.content
        if method_has_no_body(response):
            return
        media = _media_type(response.headers.get("Content-Type"))
        if not content:
            if body:
                raise ContractViolation(
                    f"{self.name}: {where} -> {status}: the contract declares no body "
                    f"(response '{key}'), got {len(body)} bytes of {media or 'untyped content'}")
            return
        media_decl = content.get(media)
        if media_decl is None:
            wildcard = [v for k, v in content.items()
                        if k == "*/*" or (k.endswith("/*") and media.startswith(k[:-1]))]
            media_decl = wildcard[0] if wildcard else None
        if media_decl is None:
            raise ContractViolation(
                f"{self.name}: {where} -> {status}: Content-Type {media or '(none)'} is not one "
                f"of the declared {', '.join(content)} (response '{key}')")
        schema = media_decl.get("schema")
        if not schema or not _is_json(media):
            return
        try:
            instance = json.loads(body)
        except ValueError as e:
            raise ContractViolation(f"{self.name}: {where} -> {status}: the {media} body is not "
                                    f"JSON ({e}): {response.text[:200]}") from None
        errors = sorted(self.validator(schema).iter_errors(instance),
                        key=lambda e: (list(map(str, e.absolute_path)), e.message))
        if errors:
            lines = [f"  at {_pointer(e.absolute_path)}: {e.message} "
                     f"(schema {_pointer(list(e.absolute_schema_path)[2:])})" for e in errors[:5]]
            more = f"\n  ... {len(errors) - 5} more" if len(errors) > 5 else ""
            raise ContractViolation(
                f"{self.name}: {where} -> {status} ({media}, response '{key}') does not match "
                f"its schema:\n" + "\n".join(lines) + more +
                f"\nbody: {json.dumps(instance)[:500]}")


def method_has_no_body(response):
    return response.request.method == "HEAD" or response.status_code in (204, 304)


def _validator(schema, doc):
    """A 2020-12 validator for `schema` whose `#/components/...` refs resolve in the document:
    the components ride along in the root (an unknown keyword to JSON Schema, so inert), which
    works alike with Debian 12's jsonschema 4.10 and later ones."""
    root = {"allOf": [schema], "components": doc.get("components", {})}
    return Draft202012Validator(root, format_checker=FormatChecker())


@functools.lru_cache(maxsize=None)
def _load(service):
    path = CONTRACTS / f"{service}.openapi.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run scripts/update-contracts.sh")
    return Contract(json.loads(path.read_text()), name=f"{service}.openapi.json")


class ContractClient(requests.Session):
    """A requests.Session on `base_url` that checks every response against `contract` (a
    service name such as "auth" or "backend", or a Contract). Paths may be relative
    ("/auth/token"); `timeout` defaults to 10 s. `checked` counts the responses it validated;
    `covered` holds the names ("GET /items/{id} (get_item)") of the operations they answered,
    and `uncovered()` lists the contract's operations no response came from yet."""

    def __init__(self, base_url, contract, timeout=10):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.contract = contract if isinstance(contract, Contract) else Contract.load(contract)
        self.timeout = timeout
        self.checked = 0
        self.covered = set()

    def uncovered(self):
        return sorted(op.name for op in self.contract.operations if op.name not in self.covered)

    def request(self, method, url, *args, unchecked=False, **kwargs):
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", self.timeout)
        response = super().request(method, url, *args, **kwargs)
        if not unchecked:
            for hop in [*response.history, response]:
                op = self.contract.check(hop)
                self.checked += 1
                if op is not None:
                    self.covered.add(op.name)
        return response
