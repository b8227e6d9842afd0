"""The stats REST API: its bad inputs, and schemathesis against its OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.web import create_service_app
from services.stats.api import router
from services.stats.application import StatsApplication

pytestmark = pytest.mark.integration


def make_app() -> FastAPI:
    app = create_service_app("stats")
    app.include_router(router)
    return app


APP = make_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def stats(database_url: str, unique_schema: str) -> Iterator[StatsApplication]:
    application = StatsApplication(database_url, schema=unique_schema)
    APP.state.stats = application
    yield application
    application.close()


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/organs/62/stats?from=2026-12-01&to=2026-01-01", "date_range_invalid"),
        ("/organs/62/stats?from=1900-01-01&to=2026-01-01", "date_range_too_long"),
        ("/organs/6x!/stats?from=2026-01-01&to=2026-01-31", "organ_code_invalid"),
        ("/organs/62/stats?from=2026-13-01&to=2026-01-31", "request_invalid"),
        ("/organs/62/stats?to=2026-01-31", "request_invalid"),
    ],
)
def test_bad_inputs_get_a_code_and_two_languages(stats, path, code):
    response = TestClient(APP).get(path)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message_zh"] and error["message_en"]


def test_an_empty_range_counts_zero(stats):
    body = TestClient(APP).get("/organs/62/stats?from=2026-01-01&to=2026-01-31").json()
    assert body["total"] == 0 and body["by_channel"] == []


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(case: Any, stats: StatsApplication) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
