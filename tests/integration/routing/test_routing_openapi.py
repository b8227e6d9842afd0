"""The routing API against its own OpenAPI document, on real PostgreSQL: no 5xx, no
undeclared status, responses as documented.

Most generated requests are pointed at real cases in different states (open, with a
dispatched transfer, concluded, under review), at their pending transfer, and made by the
person holding the case, so that generated bodies reach the domain's rules rather than
only "case_unknown" and "not_holder".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.handling import Actor
from domain.hierarchy import OrgTree
from infra.reference_data import load_org_tree
from services.routing.application import RoutingApplication
from services.routing.main import create_app
from tests.actors import MONITOR, staff
from tests.service_tokens import VERIFIER, bearer

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

APP = create_app(RoutingApplication(load_org_tree()), verifier=VERIFIER)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
_turn = itertools.count()

COUNTY, CITY, TOWNSHIP = "620102", "6201", "620102001"


def _clerk(organ: str) -> Actor:
    return staff("经办人", organ, "petition", "handler")


def _leader(organ: str) -> Actor:
    return staff("领导", organ, "petition", "leader")


def _seed(routing: RoutingApplication) -> list[str]:
    """Cases in several states."""
    fresh = routing.open_case(uuid4(), COUNTY, "登记员", "accusation")
    moving = routing.open_case(uuid4(), COUNTY, "登记员")
    tid = routing.propose_transfer(moving, _clerk(COUNTY), "report_up", "市管干部", to_organ=CITY)
    routing.approve_transfer(moving, tid, _leader(COUNTY))
    routing.dispatch_transfer(moving, tid, _clerk(COUNTY))
    concluded = routing.open_case(uuid4(), COUNTY, "登记员")
    routing.decide_disposal(concluded, _clerk(COUNTY), "inquiry", "函询")
    routing.conclude(concluded, _clerk(COUNTY), "criticism_education", "true", "属实")
    review = routing.open_case(uuid4(), COUNTY, "登记员")
    tid = routing.propose_transfer(review, _clerk(COUNTY), "assign_down", "交办", to_organ=TOWNSHIP)
    routing.approve_transfer(review, tid, _leader(COUNTY))
    routing.dispatch_transfer(review, tid, _clerk(COUNTY))
    routing.receive_transfer(review, tid, _clerk(TOWNSHIP))
    routing.decide_disposal(review, _clerk(TOWNSHIP), "preliminary_verification", "初核")
    routing.conclude(review, _clerk(TOWNSHIP), "not_substantiated", "untrue", "查否")
    routing.report_back(review, _clerk(TOWNSHIP), "报结")
    return [str(c) for c in (fresh, moving, concluded, review)]


@pytest.fixture
def on_postgres(database_url: str, unique_schema: str) -> Iterator[RoutingApplication]:
    tree: OrgTree = APP.state.routing.org_tree
    routing = RoutingApplication(tree, database_url=database_url, schema=unique_schema)
    routing.seeded = _seed(routing)  # type: ignore[attr-defined]
    previous = APP.state.routing
    APP.state.routing = routing
    try:
        yield routing
    finally:
        APP.state.routing = previous
        routing.close()


def _aim(case: Any, routing: RoutingApplication) -> dict[str, str]:
    """Point two requests in three at a real case and its pending transfer; act as its
    holder (a leader for sign-offs) or the transfer's target half the time, as a province
    case manager otherwise. Returns the call's Authorization header."""
    params = case.path_parameters or {}
    if "case_id" not in params or next(_turn) % 3 == 0:
        return bearer(MONITOR)
    seeded: list[str] = routing.seeded  # type: ignore[attr-defined]
    params["case_id"] = seeded[next(_turn) % len(seeded)]
    view = routing.case(UUID(params["case_id"]), MONITOR)
    pending = view["pending_transfer"]
    if "transfer_id" in params and pending:
        params["transfer_id"] = pending["id"]
    if case.method.upper() != "POST" or next(_turn) % 2 == 0:
        return bearer(MONITOR)
    holder = view["holder"]
    organ, office = holder["organ_code"], holder["office"]
    if pending and pending["state"] == "dispatched" and next(_turn) % 2:
        organ, office = pending["to_organ"], pending["to_office"]
    if not organ:
        return bearer(MONITOR)
    if isinstance(case.body, dict):
        case.body.pop("expected_version", None)
    role = "leader" if case.path.endswith("/approve") else "handler"
    return bearer(staff("经办人-甲", organ, office, role))


@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(case: Any, on_postgres: RoutingApplication) -> None:
    case.call_and_validate(checks=CHECKS, headers=_aim(case, on_postgres))
