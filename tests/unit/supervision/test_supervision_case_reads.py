"""A case's supervision as the case page reads it: its timeline, its clocks (one case or a
page of cases), each scoped to who may read the case; and a published year recomputing
orders' due dates as events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.actors import Actor
from domain.contracts import HandlingEvents, SupervisionEvents, contract_of
from domain.guards import CHINA_TZ
from domain.supervision.order import SupervisionOrder
from tests.service_tokens import bearer
from tests.unit.routing.orgs import CITY, COUNTY, TOWNSHIP_A, TOWNSHIP_B
from tests.unit.supervision.test_supervision_api import (
    ADMIN,
    CITY_HANDLER,
    CITY_LEADER,
    COUNTY_HANDLER,
    T0,
    TOWN_A,
    Api,
    error_code,
    held_by_county,
    who,
)

TOWN_B = who("乙办", TOWNSHIP_B)


@pytest.fixture
def api() -> Api:
    return Api()


def _timeline(api: Api, case: str, actor: Actor | None = None) -> list[dict[str, Any]]:
    headers = bearer(actor) if actor else None
    response = api.client.get(f"/cases/{case}/timeline", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_orders_steps_and_its_clock_are_on_the_case_timeline(api: Api) -> None:
    case = held_by_county(api)
    order_id = api.post("/orders", CITY_HANDLER, case_id=case, level="yellow_card",
                        requirements="十个工作日内查清并报结", working_days=10).json()["order_id"]
    api.now = T0.replace(hour=10)
    api.post(f"/orders/{order_id}/approval", CITY_LEADER)
    api.now = T0.replace(hour=11)
    api.post(f"/orders/{order_id}/acknowledge", COUNTY_HANDLER)
    api.now = T0.replace(hour=12)
    api.post(f"/orders/{order_id}/progress", COUNTY_HANDLER, note="已约谈当事人")
    api.now = T0.replace(hour=13)
    api.post(f"/orders/{order_id}/remind", CITY_HANDLER, note="请加快进度")
    rows = _timeline(api, case)
    whats = [r["what"] for r in rows]
    assert whats == ["SupervisionOrder.Drafted", "SupervisionOrder.Approved",
                     "CaseDeadline.Opened", "SupervisionOrder.Acknowledged",
                     "SupervisionOrder.ProgressReported", "SupervisionOrder.Reminded"]
    # Every supervision event type named here is a published contract.
    assert all(contract_of(w) is not None for w in whats)
    by = {r["what"]: r for r in rows}
    drafted, acknowledged = by["SupervisionOrder.Drafted"], by["SupervisionOrder.Acknowledged"]
    assert (drafted["who"], drafted["organ"], drafted["office"]) == ("周处长", CITY,
                                                                     "supervision")
    # The holding side acts for the office that holds the case (here still its petition office).
    assert (acknowledged["organ"], acknowledged["office"]) == (COUNTY, "petition")
    assert datetime.fromisoformat(acknowledged["at"]) == T0.replace(hour=11)
    assert by["SupervisionOrder.Approved"]["detail"]["due"] == "2026-11-16"
    assert by["SupervisionOrder.Reminded"]["detail"]["note"] == "请加快进度"
    assert by["CaseDeadline.Opened"]["detail"]["kind"] == "handling"
    assert [datetime.fromisoformat(r["at"]) for r in rows] == sorted(
        datetime.fromisoformat(r["at"]) for r in rows)


def test_a_case_timeline_and_clocks_are_scoped_to_who_may_read_the_case(api: Api) -> None:
    case = held_by_county(api)
    order_id = api.post("/orders", CITY_HANDLER, case_id=case, level="ordinary",
                        requirements="报送核查情况", working_days=5).json()["order_id"]
    api.post(f"/orders/{order_id}/approval", CITY_LEADER)
    for path in ("timeline", "deadlines", "orders"):
        url = f"/cases/{case}/{path}"
        # The holder and the organs above it read it; a township below that never held it
        # is told the case does not exist.
        for reader in (COUNTY_HANDLER, CITY_HANDLER):
            assert api.client.get(url, headers=bearer(reader)).status_code == 200, url
        assert error_code(api.client.get(url, headers=bearer(TOWN_A)), 404) == \
            "case_unknown"
        # A case supervision never saw, and a malformed id.
        assert error_code(api.client.get(f"/cases/{uuid4()}/{path}"), 404) == "case_unknown"
        assert error_code(api.client.get(f"/cases/not-a-case/{path}"), 422) == \
            "request_invalid"
    assert error_code(api.client.get(f"/cases/{case}/timeline",
                                      headers={"Authorization": ""}), 401)


def test_a_page_of_cases_gets_its_clocks_in_one_read(api: Api) -> None:
    first, second = held_by_county(api), held_by_county(api)
    for case in (first, second):
        order_id = api.post("/orders", CITY_HANDLER, case_id=case, level="ordinary",
                            requirements="报送核查情况", working_days=5).json()["order_id"]
        api.post(f"/orders/{order_id}/approval", CITY_LEADER)
    unseen = str(uuid4())
    body = api.client.get("/cases/deadlines", params={"ids": [first, second, unseen]}).json()
    assert [r["case_id"] for r in body["case_deadlines"]] == [first, second]
    assert body["missing"] == [unseen]
    one = api.client.get(f"/cases/{first}/deadlines").json()
    assert body["case_deadlines"][0]["deadlines"] == one and len(one) == 1
    # Out of scope: left out, not refused.
    town = api.client.get("/cases/deadlines", params={"ids": [first]}, headers=bearer(TOWN_A))
    assert town.json() == {"case_deadlines": [], "missing": [first]}
    for bad in ({}, {"ids": ["x"]}, {"ids": [str(uuid4()) for _ in range(101)]}):
        assert error_code(api.client.get("/cases/deadlines", params=bad), 422) == \
            "request_invalid", bad


def test_a_published_year_recomputes_an_orders_due_date_as_an_event(api: Api) -> None:
    case = held_by_county(api)
    api.now = datetime(2026, 12, 14, 9, tzinfo=CHINA_TZ)
    api.feed(HandlingEvents.TRANSFER_PROPOSED, case, COUNTY, api.now, transfer_id="t9",
             kind="supervise_down", from_organ=COUNTY, to_organ=TOWNSHIP_A,
             to_office="supervision")
    api.feed(HandlingEvents.TRANSFER_DISPATCHED, case, COUNTY, api.now, transfer_id="t9")
    api.feed(HandlingEvents.TRANSFER_RECEIVED, case, TOWNSHIP_A, api.now, transfer_id="t9")
    order = api.client.get(f"/cases/{case}/orders").json()[0]
    assert order["provisional"] and order["due"].startswith("2027")
    # The township now holds the case and reads its supervision; the county that held it
    # still does; another township does not.
    for reader, status in ((TOWN_A, 200), (COUNTY_HANDLER, 200), (TOWN_B, 404)):
        seen = api.client.get(f"/cases/{case}/timeline", headers=bearer(reader))
        assert seen.status_code == status, (reader.organ_code, seen.text)
    schedule = {"holidays": ["2027-01-01", "2027-01-04", "2027-01-05"], "workdays": [],
                "source": "国办发明电〔2026〕1号"}
    published = api.post("/calendar/years/2027", ADMIN, **schedule).json()
    assert (published["recomputed"], published["orders_recomputed"]) == (1, 1)
    order_id = UUID(order["order_id"])
    stored = api.app.repository.get(order_id)
    assert isinstance(stored, SupervisionOrder)
    assert not stored.provisional and stored.due.isoformat() > order["due"]
    assert stored.history[-1] == {"event": "recomputed", "at": api.now.isoformat(),
                                  "actor": ADMIN.username, "due": stored.due.isoformat(),
                                  "previous_due": order["due"]}
    seen = api.client.get(f"/orders/{order_id}").json()
    assert seen["due"] == stored.due.isoformat() == seen["clock"]["due"]
    whats = [r["what"] for r in _timeline(api, case)]
    assert whats.count(SupervisionEvents.ORDER_RECOMPUTED) == 1
    assert whats.count(SupervisionEvents.DEADLINE_RECOMPUTED) == 1
    # Publishing again changes nothing more.
    again = api.post("/calendar/years/2027", ADMIN, **schedule)
    assert error_code(again, 409) == "calendar_year_known"
    assert [r["what"] for r in _timeline(api, case)] == whats
