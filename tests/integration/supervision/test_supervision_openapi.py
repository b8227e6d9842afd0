"""The supervision API against its own OpenAPI document, on real PostgreSQL: no 5xx, no
undeclared status, responses as documented. Generated ids are pointed at a real deadline,
order, evaluation and loop half of the time, so bodies reach the domain's rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from domain.contracts import Envelope, HandlingEvents, PetitionEvents
from domain.guards import CHINA_TZ
from infra.reference_data import load_org_tree
from services.supervision import usecases
from services.supervision.application import SupervisionApplication
from services.supervision.main import create_app
from tests.actors import staff
from tests.service_tokens import VERIFIER, bearer

pytestmark = pytest.mark.integration

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
APP = create_app(SupervisionApplication(load_org_tree()), verifier=VERIFIER)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
_turn = itertools.count()
T0 = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)
COUNTY, CITY = "620102", "6201"


def _seed(app: SupervisionApplication) -> dict[str, str]:
    case = str(uuid4())
    for n, (type_, organ, payload) in enumerate([
        (PetitionEvents.REGISTERED, COUNTY, {"received_at": T0.isoformat(), "real_name": True,
                                             "key_fields": ["poverty_alleviation"]}),
        (PetitionEvents.ACCEPTED, COUNTY, {"decided_at": T0.isoformat()}),
        (HandlingEvents.OPENED, COUNTY, {}),
        (HandlingEvents.CONCLUDED, COUNTY, {}),
    ], start=1):
        app.handle(Envelope(event_id=str(n), type=type_, case_id=case, sequence=n,
                            organ_code=organ, actor="c", occurred_at=T0.isoformat(),
                            source="intake", payload=payload, notification_id=n), "t#0")
    app.catch_up()
    deadline = next(iter(app.index.deadlines()))
    loop = next(iter(app.index.loops()))
    order = usecases.issue_order(app, staff("处长", CITY, "supervision"), case, "ordinary",
                                 "查清", 5)
    evaluation = usecases.draw(app, staff("评查", CITY, "case_management", "evaluator"),
                               "2026-11", [COUNTY], 1, "s")
    return {"case_id": case, "deadline_id": str(deadline.id), "order_id": order["order_id"],
            "evaluation_id": evaluation["evaluation_id"], "loop_id": str(loop.id)}


@pytest.fixture
def on_postgres(database_url: str, unique_schema: str) -> Iterator[SupervisionApplication]:
    app = SupervisionApplication(load_org_tree(), database_url=database_url,
                                 schema=unique_schema, clock=lambda: T0)
    app.seeded = _seed(app)  # type: ignore[attr-defined]
    previous = APP.state.supervision
    APP.state.supervision = app
    try:
        yield app
    finally:
        APP.state.supervision = previous
        app.close()


def _aim(case: Any, app: SupervisionApplication) -> None:
    params = case.path_parameters or {}
    seeded: dict[str, str] = app.seeded  # type: ignore[attr-defined]
    for key in list(params):
        if key in seeded and next(_turn) % 2:
            params[key] = seeded[key]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(case: Any,
                                               on_postgres: SupervisionApplication) -> None:
    _aim(case, on_postgres)
    case.call_and_validate(checks=CHECKS, headers=bearer(staff("处长", CITY, "supervision")))
