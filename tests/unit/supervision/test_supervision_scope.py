"""Supervision's by-id reads are scoped like cases: an order, a deadline, an evaluation and a
case's clocks and orders are read only by users whose subtree holds or has held the case;
anyone else gets the same 404 as for an id that does not exist."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.contracts import HandlingEvents
from domain.guards import CHINA_TZ
from tests.actors import staff
from tests.service_tokens import bearer
from tests.unit.routing.orgs import CITY, COUNTY, OTHER_COUNTY, TOWNSHIP_A, TOWNSHIP_C

from .test_supervision_api import CITY_HANDLER, CITY_LEADER, EVALUATOR, T0, Api

SIBLING = staff("七里河", OTHER_COUNTY, "supervision", "handler")
OUTSIDE_TOWNSHIP = staff("丙镇", TOWNSHIP_C, "supervision", "case_manager")
COUNTY_READER = staff("城关", COUNTY, "supervision", "handler")
ADMIN = staff("管理员", CITY, "case_management", "administrator")


@pytest.fixture
def api() -> Api:
    return Api()


def get(api: Api, path: str, actor: Any) -> Any:
    return api.client.get(path, headers=bearer(actor))


def code_of(response: Any) -> str:
    body = response.json()["error"]
    assert body["message_zh"] and body["message_en"]
    return str(body["code"])


def test_an_order_and_its_clock_are_hidden_outside_the_case_subtree(api: Api) -> None:
    case = str(uuid4())
    api.feed(HandlingEvents.OPENED, case, COUNTY, T0)
    order_id = api.post("/orders", CITY_HANDLER, case_id=case, level="ordinary",
                        requirements="报送核查情况", working_days=5).json()["order_id"]
    deadline_id = api.post(f"/orders/{order_id}/approval", CITY_LEADER).json()["deadline_id"]
    reads = {
        f"/orders/{order_id}": "order_unknown",
        f"/deadlines/{deadline_id}": "deadline_unknown",
        f"/cases/{case}/orders": "case_unknown",
        f"/cases/{case}/deadlines": "case_unknown",
    }
    for path, missing in reads.items():
        for allowed in (CITY_HANDLER, COUNTY_READER):
            assert get(api, path, allowed).status_code == 200, (path, allowed.username)
        for outsider in (SIBLING, OUTSIDE_TOWNSHIP, ADMIN):
            refused = get(api, path, outsider)
            assert refused.status_code == 404, (path, outsider.username, refused.text)
            assert code_of(refused) == missing
        # A township below the county does not see its parent's case either.
        below = get(api, path, staff("甲", TOWNSHIP_A, "supervision", "handler"))
        assert below.status_code == 404 and code_of(below) == missing
        # The public reporter's token reaches none of this.
        reporter = api.client.get(path, headers=bearer(None))
        assert reporter.status_code == 403 and code_of(reporter) == "forbidden"
    # An unknown id answers exactly as one out of scope does.
    unknown = get(api, f"/orders/{uuid4()}", CITY_HANDLER)
    assert unknown.status_code == 404 and code_of(unknown) == "order_unknown"


def test_a_transferred_case_stays_visible_to_the_organs_that_held_it(api: Api) -> None:
    case = str(uuid4())
    api.feed(HandlingEvents.OPENED, case, COUNTY, T0)
    order_id = api.post("/orders", CITY_HANDLER, case_id=case, level="ordinary",
                        requirements="报送核查情况", working_days=5).json()["order_id"]
    api.feed(HandlingEvents.TRANSFER_PROPOSED, case, COUNTY, T0, transfer_id="t1",
             kind="assign_down", from_organ=COUNTY, to_organ=TOWNSHIP_A, to_office="petition")
    api.feed(HandlingEvents.TRANSFER_RECEIVED, case, TOWNSHIP_A, T0, transfer_id="t1",
             holder_organ=TOWNSHIP_A, holder_office="petition")
    township = staff("甲", TOWNSHIP_A, "supervision", "handler")
    assert get(api, f"/orders/{order_id}", township).status_code == 200
    assert get(api, f"/orders/{order_id}", COUNTY_READER).status_code == 200
    assert get(api, f"/orders/{order_id}", SIBLING).status_code == 404


def test_an_evaluation_is_read_by_the_panel_and_the_evaluated_organs_only(api: Api) -> None:
    case = str(uuid4())
    api.feed(HandlingEvents.OPENED, case, TOWNSHIP_A, T0)
    api.feed(HandlingEvents.CONCLUDED, case, TOWNSHIP_A, T0 + timedelta(days=1))
    api.now = datetime(2026, 12, 2, 9, tzinfo=CHINA_TZ)
    drawn = api.post("/evaluations", EVALUATOR, month="2026-11", organs=[TOWNSHIP_A], size=1,
                     seed="s")
    assert drawn.status_code == 201, drawn.text
    path = f"/evaluations/{drawn.json()['evaluation_id']}"
    for allowed in (EVALUATOR, staff("甲", TOWNSHIP_A, "supervision", "handler"), CITY_HANDLER):
        assert get(api, path, allowed).status_code == 200, allowed.username
    for outsider in (SIBLING, OUTSIDE_TOWNSHIP, ADMIN):
        refused = get(api, path, outsider)
        assert refused.status_code == 404 and code_of(refused) == "evaluation_unknown"


def test_a_case_supervision_never_heard_of_is_not_found(api: Api) -> None:
    for path in (f"/cases/{uuid4()}/orders", f"/cases/{uuid4()}/deadlines"):
        answer = get(api, path, SIBLING)
        assert answer.status_code == 404 and code_of(answer) == "case_unknown"
    assert code_of(get(api, "/cases/not-a-uuid/orders", SIBLING)) == "request_invalid"
