"""The gateway serves the web front end in history mode: page paths get index.html."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import gateway.app
from gateway.app import build

INDEX = "<!doctype html><title>Baton</title><div id=app></div>"


@pytest.fixture
def client(tmp_path, monkeypatch, gateway_settings) -> TestClient:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX, encoding="utf-8")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    monkeypatch.setattr(gateway.app, "WEB_DIST", dist)
    return TestClient(build(gateway_settings))


PAGES = ["/", "/login", "/admin/users", "/audit/access-log", "/progress?code=X", "/no/such/page"]


@pytest.mark.parametrize("path", PAGES)
def test_page_paths_get_the_index(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")


def test_a_deep_link_is_revalidated_so_a_new_build_shows(client):
    assert client.get("/admin/users").headers["cache-control"] == "no-cache"


def test_assets_are_served_and_missing_assets_stay_404(client):
    assert client.get("/assets/index-abc123.js").text == "console.log(1)"
    missing = client.get("/assets/index-gone.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert client.get("/favicon.ico").status_code == 404
    assert client.get("/admin/logo.png").status_code == 404


def test_api_paths_are_unchanged(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").status_code in (200, 503)
    assert client.get("/graphql/anything").status_code == 404
    assert client.get("/healthz/deeper").status_code == 404
    body = client.post("/graphql", json={"query": "{ me { csrfToken } }"}).json()
    assert body["errors"][0]["extensions"]["code"] == "unauthenticated"


def test_only_get_and_head_reach_the_index(client):
    assert client.head("/admin/users").status_code == 200
    assert client.post("/admin/users").status_code == 405
