"""OpenAPI document validity (checked by an independent linter) and offline API docs."""
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT

REDOCLY = ROOT / "tests" / "tools" / "node_modules" / ".bin" / "redocly"
CHROMIUM = shutil.which("chromium")


def test_openapi_document_shape(server):
    r = server.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"] == "3.1.0"
    assert "/test/items" in doc["paths"]
    post = doc["paths"]["/test/items"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CreateItem"}
    item = doc["components"]["schemas"]["CreateItem"]
    assert item["properties"]["name"]["maxLength"] == 40
    assert item["properties"]["kind"]["enum"] == ["book", "game"]
    assert "/test/items/{id}" in doc["paths"]
    # ETag revalidation
    again = server.get("/openapi.json", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_openapi_passes_redocly_lint(server, tmp_path):
    assert REDOCLY.exists(), "run scripts/bootstrap.sh (npm ci in tests/tools)"
    spec = tmp_path / "openapi.json"
    spec.write_text(server.get("/openapi.json").text)
    cfg = tmp_path / "redocly.yaml"
    # The recommended ruleset; servers are deployment-specific and not in the document.
    cfg.write_text("extends:\n  - recommended\nrules:\n  no-server-example.com: off\n  no-empty-servers: off\n")
    out = subprocess.run([str(REDOCLY), "lint", str(spec), "--config", str(cfg), "--format", "json"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    report = json.loads(out.stdout)
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert errors == [], json.dumps(errors, indent=1)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("page,needle", [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_doc_pages_reference_only_local_assets(server, page, needle):
    r = server.get(page)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert needle in r.text
    assert not re.search(r"""(src|href)=["']https?://""", r.text)
    for ref in re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", r.text):
        asset = server.get(ref, headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200, ref
        assert asset.headers["ETag"]
        cached = server.get(ref, headers={"If-None-Match": asset.headers["ETag"], "Accept-Encoding": "gzip"})
        assert cached.status_code == 304, ref


def test_static_gzip_and_plain_variants_differ_in_etag(server):
    plain = server.get("/static/swagger-ui/swagger-ui.css", headers={"Accept-Encoding": "identity"})
    gz = server.get("/static/swagger-ui/swagger-ui.css", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert gz.headers["Content-Encoding"] == "gzip"
    assert plain.headers["ETag"] != gz.headers["ETag"]
    assert gz.content == plain.content  # requests inflates it
    assert server.get("/static/nope.js").status_code == 404


def render(url, wait_ms=8000):
    """The DOM after Chromium ran the page, with every non-loopback host unresolvable."""
    profile = tempfile.mkdtemp(prefix="mmx-chromium-")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
           f"--virtual-time-budget={wait_ms}", "--dump-dom", url]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=90).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by scripts/bootstrap.sh")
def test_swagger_ui_renders_offline_in_chromium(server):
    dom = render(server.url + "/docs")
    assert "swagger-ui" in dom
    assert "/test/items" in dom  # operations rendered from our /openapi.json


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by scripts/bootstrap.sh")
def test_redoc_renders_offline_in_chromium(server):
    dom = render(server.url + "/redoc")
    assert "MicroMax" in dom
    assert "Create an item" in dom
