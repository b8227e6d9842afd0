"""Idempotency keys on supervision's creating routes (an order, a sample draw), on real
PostgreSQL: a retry answers the first, a reused key with another body is refused, a
malformed key is a coded 400, concurrent duplicates issue one order."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.actors import Actor
from domain.contracts import Envelope, HandlingEvents
from domain.guards import CHINA_TZ
from domain.hierarchy import OrgTree
from services.supervision.application import SupervisionApplication
from services.supervision.main import create_app, load_config
from tests.actors import MONITOR, staff
from tests.service_tokens import VERIFIER, bearer

pytestmark = pytest.mark.integration

CITY, COUNTY, TOWNSHIP = "6201", "620102", "620102001"
T0 = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)
HANDLER = staff("周处长", CITY, "supervision", "handler")
EVALUATOR = staff("评查组", COUNTY, "case_management", "evaluator")


class Api:
    def __init__(self, app: SupervisionApplication) -> None:
        self.app = app
        self.client = TestClient(create_app(app, verifier=VERIFIER), headers=bearer(MONITOR))
        self.position = 0

    def feed(self, type_: str, case_id: str, organ: str, at: datetime) -> None:
        self.position += 1
        self.app.handle(Envelope(
            event_id=str(uuid4()), type=type_, case_id=case_id, sequence=self.position,
            organ_code=organ, actor="clerk", occurred_at=at.isoformat(), source="routing",
            payload={}, notification_id=self.position), "routing.events#0")

    def post(self, path: str, actor: Actor, key: str | bytes | None, **body: Any) -> Any:
        headers = bearer(actor)
        if key is not None:
            headers["Idempotency-Key"] = key  # type: ignore[assignment]
        return TestClient(self.client.app).post(path, json=body, headers=headers)

    def stored(self) -> int:
        with self.app.datastore_connection() as conn:
            row = conn.execute("SELECT count(*) FROM supervisionapplication_events").fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture
def api(database_url: str, unique_schema: str, org_tree: OrgTree) -> Iterator[Api]:
    now = {"at": T0}
    app = SupervisionApplication(org_tree, config=load_config(), clock=lambda: now["at"],
                                 database_url=database_url, schema=unique_schema)
    try:
        yield Api(app)
    finally:
        app.close()


def order(case_id: str, requirements: str = "十个工作日内查清并报结") -> dict[str, Any]:
    return {"case_id": case_id, "level": "yellow_card", "requirements": requirements,
            "working_days": 10}


def held_by_county(api: Api) -> str:
    case = str(uuid4())
    api.feed(HandlingEvents.OPENED, case, COUNTY, T0)
    return case


def test_a_retried_order_answers_the_first_and_a_changed_one_is_refused(api: Api) -> None:
    case = held_by_county(api)
    first = api.post("/orders", HANDLER, "order-1", **order(case))
    assert first.status_code == 201, first.text
    before = api.stored()

    again = api.post("/orders", HANDLER, "order-1", **order(case))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["order_id"] == first.json()["order_id"]
    assert api.stored() == before

    reused = api.post("/orders", HANDLER, "order-1", **order(case, "五个工作日内报结"))
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert api.stored() == before

    # Without a key each request is its own order.
    assert api.post("/orders", HANDLER, None, **order(case)).json()["order_id"] != \
        first.json()["order_id"]


def test_concurrent_duplicates_issue_one_order(api: Api) -> None:
    case = held_by_county(api)
    before = api.stored()
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(
            lambda _: api.post("/orders", HANDLER, "burst", **order(case)), range(10)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["order_id"] for a in answers}) == 1
    assert api.stored() == before + 1


def test_a_retried_draw_answers_the_first_sample(api: Api) -> None:
    for n in range(3):
        case = str(uuid4())
        api.feed(HandlingEvents.OPENED, case, TOWNSHIP, T0)
        api.feed(HandlingEvents.CONCLUDED, case, TOWNSHIP, T0 + timedelta(days=n))
    body = {"month": "2026-11", "organs": [TOWNSHIP], "size": 2}
    first = api.post("/evaluations", EVALUATOR, "draw-1", **body)
    assert first.status_code == 201, first.text
    again = api.post("/evaluations", EVALUATOR, "draw-1", **body)
    assert again.status_code == 201
    assert again.json() == first.json()  # the same random sample, not a new draw
    # Without the key the retry is refused: the month's sample is drawn.
    assert api.post("/evaluations", EVALUATOR, None, **body).status_code == 409


@pytest.mark.parametrize("path", ["/orders", "/evaluations"])
@pytest.mark.parametrize("key", [b"", b"k" * 129, b"with space", "键".encode()])
def test_a_malformed_key_is_a_coded_400(api: Api, path: str, key: bytes) -> None:
    case = held_by_county(api)
    body = order(case) if path == "/orders" else {"month": "2026-11", "organs": [TOWNSHIP]}
    who = HANDLER if path == "/orders" else EVALUATOR
    before = api.stored()
    refused = api.post(path, who, key, **body)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "idempotency_key_invalid"
    assert error["message_zh"] and error["message_en"]
    assert api.stored() == before
