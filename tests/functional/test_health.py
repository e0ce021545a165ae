import os
import tempfile

import requests


def test_healthz_is_alive(server):
    r = server.get("/healthz")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"status": "ok"}


def test_head_has_headers_and_no_body(server):
    get = server.get("/healthz")
    head = requests.head(server.url + "/healthz", timeout=5)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_readyz_reports_every_check(server):
    r = server.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["checks"]["testbed"]["status"] == "ok"
    assert r.headers["Cache-Control"] == "no-store"


def test_readyz_503_with_details_when_a_check_fails(make_server):
    flag = os.path.join(tempfile.mkdtemp(), "unready")
    s = make_server(env={"MMX_TESTBED_UNREADY_FILE": flag})
    assert s.get("/readyz").status_code == 200
    open(flag, "w").close()
    r = s.get("/readyz")
    assert r.status_code == 503
    check = r.json()["checks"]["testbed"]
    assert check["status"] == "fail"
    assert flag in check["detail"]
    os.remove(flag)
    assert s.get("/readyz").status_code == 200


def test_version(server):
    v = server.get("/version").json()
    assert v["version"]
    assert v["commit"]
    assert "testbed" in v["targets"]
    assert v["uptime_seconds"] >= 0


def test_landing_page_lists_running_modules_with_doc_links(server):
    r = server.get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "<code>testbed</code>" in r.text
    assert 'href="/docs"' in r.text and 'href="/redoc"' in r.text
