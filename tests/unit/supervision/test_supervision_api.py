"""Supervision's REST API in memory: the stories, and bad input answered with stable codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.actors import Actor
from domain.contracts import Envelope, HandlingEvents, PetitionEvents
from domain.guards import CHINA_TZ
from services.supervision.application import SupervisionApplication
from services.supervision.main import create_app, load_config
from services.supervision.scheduler import tick
from tests.actors import MONITOR, staff
from tests.service_tokens import VERIFIER, bearer
from tests.unit.routing.orgs import CITY, COUNTY, TOWNSHIP_A, TOWNSHIP_B, org_tree

T0 = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)


class Api:
    def __init__(self) -> None:
        self.now = T0
        self.app = SupervisionApplication(org_tree(), config=load_config(),
                                          clock=lambda: self.now)
        # Reads carry a province case manager's token; commands their actor's.
        self.client = TestClient(create_app(self.app, verifier=VERIFIER), headers=bearer(MONITOR))
        self.position = 0

    def feed(self, type_: str, case_id: str, organ: str, at: datetime, **payload: Any) -> None:
        self.position += 1
        self.app.handle(Envelope(
            event_id=str(uuid4()), type=type_, case_id=case_id, sequence=self.position,
            organ_code=organ, actor="clerk", occurred_at=at.isoformat(), source="routing",
            payload=payload, notification_id=self.position), "routing.events#0")

    def post(self, path: str, actor: Actor | None, **body: Any) -> Any:
        headers = bearer(actor) if actor else {"Authorization": ""}
        return self.client.post(path, json=body, headers=headers)


def who(name: str, organ: str, role: str = "handler", office: str = "supervision") -> Actor:
    return staff(name, organ, office, role)


CITY_HANDLER, CITY_LEADER = who("周处长", CITY), who("吴书记", CITY, "leader")
COUNTY_HANDLER = who("郑主任", COUNTY)
EVALUATOR = who("评查组", COUNTY, "evaluator", "case_management")
TOWN_A = who("甲整改", TOWNSHIP_A)
ADMIN = who("管理员", "62", "administrator", "case_management")


@pytest.fixture
def api() -> Api:
    return Api()


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["message_zh"] and body["message_en"]
    return body["code"]


def held_by_county(api: Api) -> str:
    case = str(uuid4())
    api.feed(HandlingEvents.OPENED, case, COUNTY, T0)
    return case


def test_a_city_issues_a_yellow_card_and_the_county_answers(api: Api) -> None:
    case = held_by_county(api)
    draft = api.post("/orders", CITY_HANDLER, case_id=case, level="yellow_card",
                     requirements="十个工作日内查清并报结", working_days=10)
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    order_id = draft.json()["order_id"]
    assert error_code(api.post(f"/orders/{order_id}/approval", CITY_HANDLER), 403) == \
        "order_needs_leader"
    issued = api.post(f"/orders/{order_id}/approval", CITY_LEADER).json()
    assert issued["status"] == "issued" and issued["due"] == "2026-11-16"
    assert error_code(api.post(f"/orders/{order_id}/acknowledge", CITY_HANDLER), 403) == \
        "order_holder_only"
    assert api.post(f"/orders/{order_id}/acknowledge", COUNTY_HANDLER).json()["status"] == \
        "acknowledged"
    assert error_code(api.post(f"/orders/{order_id}/progress", COUNTY_HANDLER), 422) == \
        "note_invalid"
    api.post(f"/orders/{order_id}/progress", COUNTY_HANDLER, note="已约谈当事人")
    api.post(f"/orders/{order_id}/remind", CITY_HANDLER, note="请加快进度")
    api.now = datetime(2026, 11, 11, 9, tzinfo=CHINA_TZ)
    assert tick(api.app).reminders == [order_id]
    assert tick(api.app).reminders == []
    received = api.client.get("/orders", params={"organ": COUNTY, "side": "received"}).json()
    assert [o["order_id"] for o in received] == [order_id]
    seen = api.client.get(f"/orders/{order_id}").json()
    assert seen["reminders"] == 2 and seen["clock"]["due"] == "2026-11-16"
    assert [h["event"] for h in seen["history"]] == [
        "drafted", "approved", "acknowledged", "progress", "reminded", "reminded"]
    api.feed(HandlingEvents.RESULT_ACCEPTED, case, CITY, api.now, reason="同意")
    assert api.client.get(f"/cases/{case}/orders").json()[0]["status"] == "closed"
    clock = api.client.get(f"/cases/{case}/deadlines").json()[0]
    assert (clock["status"], clock["days_late"]) == ("met", 0)


def test_an_order_on_a_case_held_below_is_closed_by_the_issuer_accepting_it(api: Api) -> None:
    case = held_by_county(api)
    order_id = api.post("/orders", CITY_HANDLER, case_id=case, level="ordinary",
                        requirements="报送核查情况", working_days=5).json()["order_id"]
    issued = api.post(f"/orders/{order_id}/approval", CITY_LEADER).json()
    extended = api.post(f"/deadlines/{issued['deadline_id']}/extensions", CITY_LEADER, days=3,
                        reason="需补充外调").json()
    seen = api.client.get(f"/orders/{order_id}").json()
    assert seen["due"] == extended["due"] > issued["due"]
    assert seen["clock"]["extensions"][0]["days"] == 3
    assert error_code(api.post(f"/orders/{order_id}/accept", COUNTY_HANDLER, note="x"), 403) \
        == "order_issuer_only"
    closed = api.post(f"/orders/{order_id}/accept", CITY_HANDLER, note="核查情况属实,同意")
    assert closed.json()["status"] == "closed"
    warned = api.client.get("/warnings", params={"organ": CITY}).json()
    assert warned == []


def test_order_refusals(api: Api) -> None:
    case = held_by_county(api)
    body = {"case_id": case, "level": "yellow_card", "requirements": "查清", "working_days": 5}
    assert error_code(api.post("/orders", COUNTY_HANDLER, **body), 403) == \
        "order_outside_subtree"
    assert error_code(api.post("/orders", CITY_HANDLER, **{**body, "case_id": str(uuid4())}),
                      404) == "case_unknown"
    for bad in ({"level": "purple"}, {"working_days": 0}, {"requirements": ""},
                {"case_id": "not-a-uuid"}):
        assert error_code(api.post("/orders", CITY_HANDLER, **{**body, **bad}), 422) == \
            "request_invalid"
    # The actor is the token's: none is 401, and an actor in the body is refused.
    assert error_code(api.post("/orders", None, **body), 401) == "token_missing"
    in_body = {**body, "actor": {"name": "x", "organ_code": CITY, "office": "supervision"}}
    ignored = api.client.post("/orders", json=in_body, headers=bearer(CITY_HANDLER))
    assert ignored.status_code == 201
    issuer = (ignored.json()["issuer_organ"], ignored.json()["issuer_office"])
    assert issuer == (CITY, "supervision")
    assert error_code(api.post(f"/orders/{uuid4()}/approval", CITY_LEADER), 404) == \
        "order_unknown"
    order_id = api.post("/orders", CITY_HANDLER, **body).json()["order_id"]
    assert error_code(api.post(f"/orders/{order_id}/acknowledge", COUNTY_HANDLER), 409) == \
        "order_state"
    assert error_code(api.post(f"/orders/{order_id}/dance", CITY_HANDLER), 422) == \
        "request_invalid"
    api.post(f"/orders/{order_id}/approval", CITY_LEADER)
    escalated = api.post(f"/orders/{order_id}/escalate", CITY_HANDLER, note="逾期,升级红牌")
    assert escalated.json()["status"] == "escalated"
    assert api.client.get(f"/cases/{case}/deadlines").json()[0]["status"] == "cancelled"
    assert error_code(api.post(f"/orders/{order_id}/remind", CITY_HANDLER, note="x"), 409) == \
        "order_state"
    assert error_code(api.post(f"/orders/{order_id}/progress", COUNTY_HANDLER, note="x",
                               expected_version=1), 409) == "concurrent_update"


def test_the_evaluation_story_scores_67_rectifies_one_item_and_escalates_another(
    api: Api,
) -> None:
    cases = []
    for n, organ in enumerate([TOWNSHIP_A, TOWNSHIP_A, TOWNSHIP_B, COUNTY]):
        case = str(uuid4())
        api.feed(HandlingEvents.OPENED, case, organ, T0)
        api.feed(HandlingEvents.CONCLUDED, case, organ, T0 + timedelta(days=n))
        cases.append(case)
    api.now = datetime(2026, 12, 2, 9, tzinfo=CHINA_TZ)
    body = {"month": "2026-11", "organs": [TOWNSHIP_A, TOWNSHIP_B], "size": 2, "seed": "s1"}
    drawn = api.post("/evaluations", EVALUATOR, **body)
    assert drawn.status_code == 201, drawn.text
    evaluation = drawn.json()
    assert sorted(evaluation["population"]) == sorted(cases[:3])
    assert len(evaluation["sample"]) == 2 and evaluation["seed"] == "s1"
    assert error_code(api.post("/evaluations", EVALUATOR, **body), 409) == "evaluation_exists"
    eid = evaluation["evaluation_id"]
    case = next(c for c in evaluation["sample"] if c in cases[:2])
    lost = {"facts_verified": 15, "reply_in_time": 10, "owner_clear": 8}
    assert error_code(api.post(f"/evaluations/{eid}/scores", EVALUATOR, case_id=case,
                               lost={"nothing": 1}), 422) == "score_item_unknown"
    scored = api.post(f"/evaluations/{eid}/scores", EVALUATOR, case_id=case, lost=lost).json()
    assert scored["scores"][case]["score"] == 67 and scored["scores"][case]["grade"] == "fail"
    items = sorted(i["item_id"] for i in scored["items"])
    assert len(items) == 3
    api.post(f"/evaluations/{eid}/items/{items[0]}/rectification", TOWN_A, evidence="补充笔录")
    reviewed = api.post(f"/evaluations/{eid}/items/{items[0]}/review", EVALUATOR, accept=True)
    assert reviewed.json()["items"][0]["status"] in {"rectified", "open"}
    api.now = datetime(2026, 12, 18, 9, tzinfo=CHINA_TZ)
    assert tick(api.app).escalations == items[1:]
    final = {i["item_id"]: i["status"] for i in api.client.get(f"/evaluations/{eid}").json()[
        "items"]}
    assert final == {items[0]: "rectified", items[1]: "escalated", items[2]: "escalated"}
    bulletin = api.client.get("/evaluations/bulletin", params={"organ": CITY}).json()
    assert [(b["case_id"], b["score"]) for b in bulletin] == [(case, 67)]
    assert api.client.get("/evaluations/sheet").json()["weights"]["investigation"] == 25


def test_evaluation_refusals(api: Api) -> None:
    body = {"month": "2026-11", "organs": [TOWNSHIP_A]}
    town_evaluator = who("甲整改", TOWNSHIP_A, "evaluator")
    assert error_code(api.post("/evaluations", town_evaluator, **body), 403) \
        == "evaluator_level_too_low"
    assert error_code(api.post("/evaluations", EVALUATOR, **{**body, "month": "2026-13"}),
                      422) == "request_invalid"
    assert error_code(api.post("/evaluations", EVALUATOR, **{**body, "organs": ["6299"]}),
                      404) == "organ_unknown"
    assert error_code(api.post("/evaluations", COUNTY_HANDLER, **body), 403) == "evaluator_only"
    assert error_code(api.post("/evaluations", EVALUATOR, **{**body, "organs": [CITY]}),
                      403) == "evaluation_outside_subtree"
    assert error_code(api.client.get(f"/evaluations/{uuid4()}"), 404) == "evaluation_unknown"


def test_extension_suspension_and_deadline_refusals(api: Api) -> None:
    case = str(uuid4())
    api.app.handle(Envelope(
        event_id="e", type=PetitionEvents.REGISTERED, case_id=case, sequence=1,
        organ_code=COUNTY, actor="clerk", occurred_at=T0.isoformat(), source="intake",
        payload={"received_at": T0.isoformat(), "real_name": True, "key_fields": []},
        notification_id=1), "intake.events#0")
    deadline = api.client.get(f"/cases/{case}/deadlines").json()[0]
    did = deadline["deadline_id"]
    path = f"/deadlines/{did}"
    county_leader = who("县领导", COUNTY, "leader")
    assert error_code(api.post(f"{path}/extensions", COUNTY_HANDLER, days=5, reason="复杂"),
                      403) == "extension_needs_leader"
    assert error_code(api.post(f"{path}/extensions", county_leader, days=0, reason="复杂"),
                      422) == "request_invalid"
    extended = api.post(f"{path}/extensions", county_leader, days=5, reason="案情复杂").json()
    assert extended["due"] > deadline["due"] and extended["extensions"][0]["days"] == 5
    assert error_code(api.post(f"{path}/resumption", COUNTY_HANDLER), 409) == \
        "deadline_not_suspended"
    assert api.post(f"{path}/suspension", COUNTY_HANDLER, reason="等待外调").json()[
        "suspended_on"] == "2026-11-02"
    api.now += timedelta(days=7)
    resumed = api.post(f"{path}/resumption", COUNTY_HANDLER).json()
    assert resumed["suspended_on"] is None and resumed["due"] > extended["due"]
    assert error_code(api.client.get(f"/deadlines/{uuid4()}"), 404) == "deadline_unknown"
    assert error_code(api.client.get("/warnings", params={"organ": "bad"}), 422) == \
        "request_invalid"
    assert error_code(api.client.get("/warnings", params={"organ": "6299"}), 404) == \
        "organ_unknown"
    assert error_code(api.client.get("/warnings", params={"organ": CITY, "level": "green"}),
                      422) == "request_invalid"
    assert api.client.get("/overdue", params={"organ": CITY}).json() == []
    # Only the caller's subtree: a county's handler does not list the city's warnings.
    for path in ("/warnings", "/overdue", "/orders", "/key-field-loops"):
        other = api.client.get(path, params={"organ": CITY}, headers=bearer(COUNTY_HANDLER))
        assert error_code(other, 403) == "forbidden", path
        assert api.client.get(path, params={"organ": COUNTY},
                              headers=bearer(COUNTY_HANDLER)).status_code == 200, path
    assert api.client.get("/warnings/counts", params={"organ": CITY}).json()["red"] == 0


def test_publishing_a_year_recomputes_provisional_deadlines(api: Api) -> None:
    case = str(uuid4())
    api.feed(HandlingEvents.OPENED, case, COUNTY, T0)
    api.feed(HandlingEvents.TRANSFER_PROPOSED, case, COUNTY, T0, transfer_id="t1",
             kind="assign_down", from_organ=COUNTY, to_organ=TOWNSHIP_A,
             to_office="supervision")
    api.feed(HandlingEvents.TRANSFER_DISPATCHED, case, COUNTY, T0, transfer_id="t1")
    api.feed(HandlingEvents.TRANSFER_RECEIVED, case, TOWNSHIP_A, T0, transfer_id="t1")
    handling = next(d for d in api.client.get(f"/cases/{case}/deadlines").json()
                    if d["kind"] == "handling")
    assert handling["provisional"] and handling["due"].startswith("2027")
    before = api.client.get("/calendar").json()
    schedule = {"holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09"],
                "workdays": ["2027-02-06"], "source": "国办发明电〔2026〕1号"}
    assert error_code(api.post("/calendar/years/2027", TOWN_A, **schedule), 403) == \
        "calendar_publish_forbidden"
    assert error_code(api.post("/calendar/years/2027", ADMIN, **{**schedule, "holidays": [
        "2028-01-01"]}), 422) == "calendar_override_invalid"
    assert error_code(api.post("/calendar/years/2027", ADMIN, holidays="x", workdays=[]),
                      422) == "request_invalid"
    published = api.post("/calendar/years/2027", ADMIN, **schedule).json()
    assert published["recomputed"] == 1 and published["calendar_version"] != before["version"]
    after = api.client.get(f"/deadlines/{handling['deadline_id']}").json()
    assert not after["provisional"] and after["due"] > handling["due"]
    assert after["history"][-1]["event"] == "recomputed"
    assert 2027 in api.client.get("/calendar").json()["known_years"]
    assert error_code(api.post("/calendar/years/2027", ADMIN, **schedule), 409) == \
        "calendar_year_known"
    restarted = SupervisionApplication(org_tree(), clock=lambda: api.now,
                                       recorder=api.app.recorder)
    assert restarted.calendar.version == published["calendar_version"]


def test_the_key_field_loop_over_rest(api: Api) -> None:
    case = str(uuid4())
    for type_, payload in ((PetitionEvents.REGISTERED, {"received_at": T0.isoformat(),
                                                         "real_name": False,
                                                         "key_fields": ["poverty_alleviation"]}),
                           (PetitionEvents.ACCEPTED, {"decided_at": T0.isoformat()})):
        api.position += 1
        api.app.handle(Envelope(event_id=str(uuid4()), type=type_, case_id=case, sequence=1,
                                organ_code=COUNTY, actor="c", occurred_at=T0.isoformat(),
                                source="intake", payload=payload,
                                notification_id=api.position), "intake.events#0")
    loops = api.client.get("/key-field-loops", params={"organ": CITY}).json()
    assert len(loops) == 1 and loops[0]["holder_organ"] == COUNTY
    lid = loops[0]["loop_id"]
    api.now = datetime(2026, 12, 3, 9, tzinfo=CHINA_TZ)
    assert error_code(api.post(f"/key-field-loops/{lid}/feedback", TOWN_A, month="2026-11",
                               note="x"), 403) == "loop_holder_only"
    fed = api.post(f"/key-field-loops/{lid}/feedback", COUNTY_HANDLER, month="2026-11",
                   note="已入户核查")
    assert fed.json()["months_missing"] == []
    bulletin = api.client.get("/key-field-loops/bulletin",
                              params={"organ": CITY, "year": 2026, "quarter": 4}).json()
    # December is not fed back yet, so at the quarter's end the case counts as overdue.
    assert bulletin == [{"organ": COUNTY, "open": 1, "closed": 0, "overdue": 1}]
    api.post(f"/key-field-loops/{lid}/feedback", COUNTY_HANDLER, month="2026-12", note="已追回")
    bulletin = api.client.get("/key-field-loops/bulletin",
                              params={"organ": CITY, "year": 2026, "quarter": 4}).json()
    assert bulletin == [{"organ": COUNTY, "open": 1, "closed": 0, "overdue": 0}]
    assert error_code(api.client.get("/key-field-loops/bulletin", params={
        "organ": CITY, "year": 2026, "quarter": 5}), 422) == "request_invalid"
