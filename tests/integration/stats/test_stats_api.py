"""The stats REST API: its bad inputs, and schemathesis against its OpenAPI document."""

from __future__ import annotations

import datetime as dt
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

from infra.access_log import MemoryAccessLog
from services.stats.application import StatsApplication
from services.stats.main import create_app
from tests.actors import staff
from tests.service_tokens import VERIFIER, bearer

pytestmark = pytest.mark.integration


LOG = MemoryAccessLog()
# A leader of the province: the whole province's figures are in their subtree.
LEADER = staff("leader.gao", "62", "petition", "leader")


def make_app() -> FastAPI:
    return create_app(None, verifier=VERIFIER, access_log=LOG)  # type: ignore[arg-type]


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
    response = TestClient(APP, headers=bearer(LEADER)).get(path)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message_zh"] and error["message_en"]


CASE_STATISTICS = "/organs/{organ}/case-statistics?from={start}&to={end}"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/organs/62/case-statistics?from=2026-12-01&to=2026-01-01", 422, "date_range_invalid"),
        ("/organs/62/case-statistics?from=1900-01-01&to=2026-01-01", 422, "date_range_too_long"),
        ("/organs/62/case-statistics?from=0001-01-01&to=0001-12-31", 422, "date_out_of_range"),
        ("/organs/62/case-statistics?from=2026-02-30&to=2026-03-31", 422, "request_invalid"),
        ("/organs/62/case-statistics?to=2026-01-31", 422, "request_invalid"),
        ("/organs/6x!/case-statistics?from=2026-01-01&to=2026-01-31", 422, "organ_code_invalid"),
        # Unknown but inside the caller's (the province leader's) subtree: 404; an organ
        # outside it is refused first (403), known or not.
        ("/organs/6299/case-statistics?from=2026-01-01&to=2026-01-31", 404, "organ_unknown"),
        (
            "/organs/62/case-statistics?from=2026-01-01&to=2026-01-31&groupBy=COLOUR",
            422,
            "statistics_dimension_unknown",
        ),
        (
            "/organs/62/case-statistics?from=2026-01-01&to=2026-01-31&groupBy=MONTH,CHANNEL"
            "&groupBy=MONTH",
            422,
            "statistics_dimension_repeated",
        ),
        (
            "/organs/62/case-statistics?from=2026-01-01&to=2026-01-31"
            "&groupBy=MONTH,CHANNEL,SCOPE,OUTCOME,CATEGORY",
            422,
            "statistics_dimensions_too_many",
        ),
        (
            "/organs/62/case-statistics?from=2026-01-01&to=2026-01-31&asOf=yesterday",
            422,
            "request_invalid",
        ),
        ("/organs/62/subordinate-status?from=2026-12-01&to=2026-01-01", 422, "date_range_invalid"),
        ("/organs/6x!/subordinate-status?from=2026-01-01&to=2026-01-31", 422, "organ_code_invalid"),
        ("/organs/6299/subordinate-status?from=2026-01-01&to=2026-01-31", 404, "organ_unknown"),
        ("/organs/62/subordinate-status?from=2026-01-01", 422, "request_invalid"),
    ],
)
def test_statistics_refuse_bad_inputs_with_a_code_and_two_languages(stats, path, status, code):
    response = TestClient(APP, headers=bearer(LEADER)).get(path)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message_zh"] and error["message_en"]


def test_case_statistics_answers_in_the_published_shape(stats):
    from .history import CHINA, HistoryBuilder

    builder = HistoryBuilder(stats.tree, seed=7)
    start = dt.datetime(2025, 3, 1, tzinfo=CHINA)
    cases = [builder.case(start, 1) for _ in range(40)]
    stats.load([e for case in cases for e in case.events], {})
    body = (
        TestClient(APP, headers=bearer(LEADER))
        .get(
            "/organs/62/case-statistics?from=2025-01-01&to=2025-12-31"
            "&groupBy=SUBORDINATE&groupBy=MONTH"
        )
        .json()
    )
    in_gansu = [c for c in cases if c.organ.startswith("62")]
    assert body["total"] == len(in_gansu) and body["previousTotal"] == 0
    assert body["from"] == "2025-01-01" and body["previousFrom"] == "2024-01-01"
    assert body["groupBy"] == ["SUBORDINATE", "MONTH"]
    assert {tuple(g["keys"])[1] for g in body["groups"]} == {"2025-03"}
    assert sum(g["count"] for g in body["groups"]) == body["total"]
    assert set(body["rates"]) == {
        "inScopeShare",
        "repeatShare",
        "closure",
        "substantiation",
        "sanction",
        "satisfaction",
        "onTime",
    }
    assert body["rates"]["inScopeShare"]["denominator"] == body["total"]
    status = TestClient(APP, headers=bearer(LEADER)).get(
        "/organs/62/subordinate-status?from=2025-01-01&to=2025-12-31"
    )
    units = status.json()["units"]
    assert units[0]["organ"] == "62" and units[0]["own"] is True
    assert sum(unit["received"] for unit in units) == body["total"]
    assert {unit["organ"] for unit in units[1:]} == {c.code for c in stats.tree.children("62")}


def test_an_empty_range_counts_zero(stats):
    client = TestClient(APP, headers=bearer(LEADER))
    body = client.get("/organs/62/stats?from=2026-01-01&to=2026-01-31").json()
    assert body["total"] == 0 and body["by_channel"] == []


def test_only_the_callers_subtree_and_only_with_a_token(stats):
    path = "/organs/{}/stats?from=2026-01-01&to=2026-01-31"
    county_clerk = staff("clerk.sun", "620102", "petition", "petition_clerk")
    client = TestClient(APP, headers=bearer(county_clerk))
    assert client.get(path.format("620102001")).status_code == 200  # a township below
    for organ in ("6201", "620103", "62"):  # its city, a sibling county, the province
        refused = client.get(path.format(organ))
        assert refused.status_code == 403, organ
        assert refused.json()["error"]["code"] == "forbidden"
        assert any(
            e.username == "clerk.sun" and e.case_organ == organ and e.outcome == "refused"
            for e in LOG.entries
        )
    administrator = staff("admin.he", "62", "case_management", "administrator")
    assert TestClient(APP, headers=bearer(administrator)).get(path.format("62")).status_code == (
        403
    )
    assert TestClient(APP).get(path.format("62")).json()["error"]["code"] == "token_missing"


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(case: Any, stats: StatsApplication) -> None:
    case.call_and_validate(
        headers=bearer(LEADER),
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
