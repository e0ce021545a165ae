"""FastAPI baseline for bench/http.sh: the seed's Python stack serving the same JSON.

GET /healthz returns {"status":"ok"} with Content-Type: application/json, like micromax.
ORJSONResponse is used when orjson is importable; Debian 12 ships no python3-orjson, so
there the default JSONResponse (stdlib json) serves it. RESPONSE_CLASS says which, and
bench/http.sh records it.

Run: /usr/bin/python3 -m uvicorn fastapi_app:app --app-dir bench/baselines \
       --host 127.0.0.1 --port 8000 --workers 1 --log-level warning --no-access-log
"""

from fastapi import FastAPI
from fastapi.responses import JSONResponse

try:
    import orjson  # noqa: F401  (only probing whether it is installed)
    from fastapi.responses import ORJSONResponse as _Response
except ImportError:  # Debian 12: no python3-orjson package
    _Response = JSONResponse

RESPONSE_CLASS = _Response.__name__

app = FastAPI(default_response_class=_Response, docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


if __name__ == "__main__":
    print(RESPONSE_CLASS)
