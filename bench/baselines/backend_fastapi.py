"""FastAPI baseline for bench/backend.sh: the backend service's catalog reads, the way the
seed's Python stack would serve them.

  GET /api/v1/products/{product_id}   one product; ETag "<version>", If-None-Match -> 304
  GET /api/v1/products?limit=&offset= {"items":[...],"total":N,"limit":L,"offset":O}

Same contract as micromax's backend service (microservices/backend):
- Public reads, but a bearer token, when sent, is verified: PyJWT, RS256 only, with the
  keys of the auth service's JWKS (fetched once by bench/backend.sh into a file), `iss`,
  `aud`, `exp` (and `nbf`/`iat` when present) with 30 s of leeway, `sub` required; roles
  from `roles`, `realm_access.roles` and `resource_access.<audience>.roles`, like
  shared/auth's verifier. A token with role staff or admin also sees inactive products;
  anyone else gets 404 for them and only active ones in lists. A token that does not verify
  is a 401 application/problem+json with `WWW-Authenticate: Bearer error="invalid_token"`.
- The very same SQLite data: bench/backend.sh copies micromax's backend.db (SQLite's
  backup API, WAL kept) after loading the catalog, and this app reads the copy with Python's
  sqlite3, parameterised queries, the primary key or `ORDER BY id LIMIT ? OFFSET ?`.
- pydantic response models whose fields are the product's keys in the contract's order;
  FastAPI validates and serialises through them (`response_model`), as a FastAPI app does.

Nothing is cached between requests: every request verifies its token and reads the
database (micromax also reads the database per request; its token cache is measured and
reported separately by bench/auth.sh).

BACKEND_FASTAPI_MODE picks how the handlers run:
  async (default)  `async def` handlers and dependencies; sqlite3 is called on the event
                   loop (one connection): the local file answers in microseconds, the same
                   trade micromax makes (ADR 0007: quick SQLite statements inline on the io
                   thread). The faster of the two here, so it is the baseline.
  sync             `def` handlers and dependencies, as the FastAPI docs advise for blocking
                   drivers: each runs in Starlette's thread pool (one sqlite3 connection per
                   pool thread); slower, for information.

Settings (environment): BACKEND_FASTAPI_DB (SQLite file), BACKEND_FASTAPI_JWKS (JWKS JSON
file), BACKEND_FASTAPI_ISSUER, BACKEND_FASTAPI_AUDIENCE (micromax), BACKEND_FASTAPI_MODE.

Run: BACKEND_FASTAPI_DB=... BACKEND_FASTAPI_JWKS=... BACKEND_FASTAPI_ISSUER=... \
       /usr/bin/python3 -m uvicorn backend_fastapi:app --app-dir bench/baselines \
       --host 127.0.0.1 --port 8001 --workers 1 --loop uvloop --http httptools \
       --log-level warning --no-access-log
"""
import json
import os
import sqlite3
import threading
from typing import List, Optional

import jwt
from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

DB_PATH = os.environ["BACKEND_FASTAPI_DB"]
ISSUER = os.environ["BACKEND_FASTAPI_ISSUER"]
AUDIENCE = os.environ.get("BACKEND_FASTAPI_AUDIENCE", "micromax")
MODE = os.environ.get("BACKEND_FASTAPI_MODE", "async")
LEEWAY = 30  # seconds; micromax's MMX_AUTH_LEEWAY default
STAFF_ROLES = {"staff", "admin"}
if MODE not in ("async", "sync"):
    raise SystemExit(f"BACKEND_FASTAPI_MODE must be async or sync, not {MODE!r}")

with open(os.environ["BACKEND_FASTAPI_JWKS"]) as f:
    KEYS = {k["kid"]: jwt.PyJWK(k).key for k in json.load(f)["keys"]
            if k.get("kty") == "RSA" and k.get("use", "sig") == "sig"}

COLUMNS = ("id, sku, name, description, price_cents, currency, stock, category, active, "
           "created_at, updated_at, version")


class Product(BaseModel):
    id: int
    sku: str
    name: str
    description: str
    price_cents: int
    currency: str
    stock: int
    category: str
    active: bool
    created_at: str
    updated_at: str
    version: int


class ProductPage(BaseModel):
    items: List[Product]
    total: int
    limit: int
    offset: int


class Problem(Exception):
    def __init__(self, status, title, detail, headers=None):
        self.status, self.title, self.detail, self.headers = status, title, detail, headers


app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


def problem_response(status, title, detail, headers=None, errors=None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


@app.exception_handler(Problem)
async def on_problem(request: Request, e: Problem):
    return problem_response(e.status, e.title, e.detail, e.headers)


@app.exception_handler(RequestValidationError)
async def on_validation(request: Request, e: RequestValidationError):
    errors = [{"pointer": "/" + "/".join(str(p) for p in err["loc"]), "detail": err["msg"]}
              for err in e.errors()]
    return problem_response(422, "Unprocessable Content", "the request is not valid",
                            errors=errors)


# ---------------------------------------------------------------------------- database
_local = threading.local()


def connection() -> sqlite3.Connection:
    """One connection per thread: the event loop's in async mode, each pool thread's in
    sync mode (sqlite3 connections must not be shared across threads)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB_PATH, check_same_thread=True)
        conn.row_factory = sqlite3.Row
        _local.conn = conn
    return conn


def fetch_product(conn, product_id: int, staff: bool):
    row = conn.execute(f"SELECT {COLUMNS} FROM products WHERE id = ?", (product_id,)).fetchone()
    if row is None or not (row["active"] or staff):
        raise Problem(404, "Not Found", f"product {product_id} not found")
    return row


def fetch_page(conn, limit: int, offset: int, staff: bool):
    where = "" if staff else " WHERE active"
    total = conn.execute(f"SELECT count(*) FROM products{where}").fetchone()[0]
    rows = conn.execute(f"SELECT {COLUMNS} FROM products{where} ORDER BY id LIMIT ? OFFSET ?",
                        (limit, offset)).fetchall()
    return {"items": [dict(r) for r in rows], "total": total, "limit": limit, "offset": offset}


# ---------------------------------------------------------------------------- auth
bearer_scheme = HTTPBearer(auto_error=False)


def _roles(claims) -> set:
    def as_list(v):
        if isinstance(v, str):
            return v.split()
        return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []
    roles = set(as_list(claims.get("roles")))
    realm = claims.get("realm_access")
    if isinstance(realm, dict):
        roles.update(as_list(realm.get("roles")))
    resource = claims.get("resource_access")
    if isinstance(resource, dict) and isinstance(resource.get(AUDIENCE), dict):
        roles.update(as_list(resource[AUDIENCE].get("roles")))
    return roles


def verify_token(credentials: Optional[HTTPAuthorizationCredentials]) -> Optional[dict]:
    """The claims of a valid token, None without one; a token that fails is a 401."""
    if credentials is None:
        return None
    token = credentials.credentials
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = KEYS.get(kid)
        if key is None:
            raise jwt.InvalidTokenError("token signed with a key the issuer does not list")
        claims = jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER,
                            leeway=LEEWAY, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.PyJWTError as e:
        raise Problem(401, "Unauthorized", f"{e}.",
                      {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    claims["_staff"] = bool(_roles(claims) & STAFF_ROLES)
    return claims


def etag_matches(if_none_match: Optional[str], etag: str) -> bool:
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def product_response(row, response: Response, if_none_match: Optional[str]):
    etag = f'"{row["version"]}"'
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return dict(row)


# ---------------------------------------------------------------------------- routes
# The same two routes in the mode's flavour: the handler bodies are the shared functions
# above, so the modes differ only in where they run.
PRODUCT_PATH = "/api/v1/products/{product_id}"
LIST_PATH = "/api/v1/products"
product_id_param = Path(..., ge=1)
limit_param = Query(20, ge=1, le=100)
offset_param = Query(0, ge=0)

if MODE == "async":
    async def principal(credentials=Depends(bearer_scheme)) -> Optional[dict]:
        return verify_token(credentials)

    @app.get(PRODUCT_PATH, response_model=Product)
    async def read_product(response: Response, product_id: int = product_id_param,
                           claims: Optional[dict] = Depends(principal),
                           if_none_match: Optional[str] = Header(None)):
        row = fetch_product(connection(), product_id, bool(claims and claims["_staff"]))
        return product_response(row, response, if_none_match)

    @app.get(LIST_PATH, response_model=ProductPage)
    async def list_products(limit: int = limit_param, offset: int = offset_param,
                            claims: Optional[dict] = Depends(principal)):
        return fetch_page(connection(), limit, offset, bool(claims and claims["_staff"]))
else:
    def principal(credentials=Depends(bearer_scheme)) -> Optional[dict]:
        return verify_token(credentials)

    @app.get(PRODUCT_PATH, response_model=Product)
    def read_product(response: Response, product_id: int = product_id_param,
                     claims: Optional[dict] = Depends(principal),
                     if_none_match: Optional[str] = Header(None)):
        row = fetch_product(connection(), product_id, bool(claims and claims["_staff"]))
        return product_response(row, response, if_none_match)

    @app.get(LIST_PATH, response_model=ProductPage)
    def list_products(limit: int = limit_param, offset: int = offset_param,
                      claims: Optional[dict] = Depends(principal)):
        return fetch_page(connection(), limit, offset, bool(claims and claims["_staff"]))


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}
