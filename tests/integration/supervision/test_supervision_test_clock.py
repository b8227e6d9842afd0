"""Supervision's test clock (`/testing/clock`): moves "today" and ticks the scheduler once;
bad input is refused, production refuses it, and the OpenAPI document does not show it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from infra.reference_data import load_org_tree
from services.supervision.api import testing
from services.supervision.application import SupervisionApplication
from services.supervision.main import create_app
from tests.actors import staff
from tests.service_tokens import VERIFIER, bearer

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def client(database_url: str, unique_schema: str) -> Iterator[tuple[TestClient,
                                                                     SupervisionApplication]]:
    app = SupervisionApplication(load_org_tree(), database_url=database_url,
                                 schema=unique_schema, clock=lambda: T0)
    try:
        http = TestClient(create_app(app, verifier=VERIFIER))
        http.headers.update(bearer(staff("tester", "62", "case_management", "administrator")))
        yield http, app
    finally:
        app.close()


def test_the_clock_moves_forward_and_back(client) -> None:
    http, app = client
    moved = http.post("/testing/clock", json={"days": 16})
    assert moved.status_code == 200, moved.text
    assert moved.json()["today"] == (T0 + timedelta(days=16)).date().isoformat()
    assert app.today() == (T0 + timedelta(days=16)).date()
    assert moved.json()["escalations"] == []
    back = http.post("/testing/clock", json={"days": 0})
    assert back.json()["today"] == "2026-11-23" and app.today().isoformat() == "2026-11-23"


def test_bad_offsets_are_refused_and_the_route_is_not_documented(client) -> None:
    http, app = client
    for days in (-1, 401, "x"):
        refused = http.post("/testing/clock", json={"days": days})
        assert refused.status_code == 422, refused.text
    assert app.today().isoformat() == "2026-11-23"
    assert "/testing/clock" not in http.get("/openapi.json").json()["paths"]


def test_the_test_clock_needs_a_service_token(client) -> None:
    http, app = client
    refused = http.post("/testing/clock", json={"days": 16}, headers={"Authorization": ""})
    assert refused.status_code == 401
    assert app.today().isoformat() == "2026-11-23"


def test_production_refuses_the_test_clock(client, monkeypatch) -> None:
    http, app = client
    monkeypatch.setattr(testing, "get_settings", lambda: SimpleNamespace(is_production=True))
    refused = http.post("/testing/clock", json={"days": 16})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "test_clock_forbidden"
    assert app.today().isoformat() == "2026-11-23"
