"""A supervised case's own page on the running platform: `case(id) { timeline }` merges
supervision's events (the order's steps, its clock) with intake's and routing's in time
order, and `case(id) { deadlines }` lists each clock with its versions; both as far as
the user may see the case."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.integration.gateway.test_supervision_graphql import (
    ACT,
    APPROVE,
    county_case,
    issue_when_known,
)
from tests.integration.platform.casework import ok

pytestmark = pytest.mark.integration

CASE = """query($id: ID!) { case(id: $id) {
  timeline { what who organCode office at source detail }
  deadlines { id kind responsibleOrgan due provisional status level metOn daysLate
              calendarVersion rulesVersion }
} }"""
ORDER_STEPS = ["SupervisionOrder.Drafted", "SupervisionOrder.Approved",
               "SupervisionOrder.Acknowledged", "SupervisionOrder.ProgressReported",
               "SupervisionOrder.Reminded", "SupervisionOrder.Closed"]


def test_an_orders_steps_and_clock_are_on_the_case_page(clients) -> None:
    case_id = county_case(clients)
    city, leader, county = (clients("handler.6201"), clients("leader.6201"),
                            clients("handler.620102"))
    order = issue_when_known(city, case_id)
    ok(leader.post(APPROVE, id=order["id"]))
    ok(county.post(ACT, id=order["id"], a="acknowledge"))
    ok(county.post(ACT, id=order["id"], a="progress", n="已约谈当事人，正在核查"))
    ok(city.post(ACT, id=order["id"], a="remind", n="请于期限前报结"))
    ok(city.post(ACT, id=order["id"], a="accept", n="报结材料齐全，同意办结"))

    for reader in (county, city):
        case = ok(reader.post(CASE, id=case_id))["case"]
        timeline = case["timeline"]
        moments = [datetime.fromisoformat(e["at"]) for e in timeline]
        assert moments == sorted(moments)
        assert {e["source"] for e in timeline} == {"intake", "routing", "supervision"}
        steps = [e for e in timeline if e["what"].startswith("SupervisionOrder.")]
        assert [e["what"] for e in steps] == ORDER_STEPS
        by = {e["what"]: e for e in steps}
        drafted = by["SupervisionOrder.Drafted"]
        assert (drafted["who"], drafted["organCode"], drafted["office"]) == (
            "钱市办", "6201", "supervision")
        assert by["SupervisionOrder.Acknowledged"]["organCode"] == "620102"
        assert by["SupervisionOrder.Reminded"]["detail"]["note"] == "请于期限前报结"
        assert by["SupervisionOrder.Approved"]["detail"]["due"]
        # Registration comes first, the order after it.
        first_step = timeline.index(by["SupervisionOrder.Drafted"])
        assert any(e["source"] == "intake" for e in timeline[:first_step])
        # The order's clock opened and was met when the city accepted the result.
        clock = [e for e in timeline if e["what"].startswith("CaseDeadline.")
                 and (e["detail"] or {}).get("kind") == "handling"]
        assert [e["what"] for e in clock] == ["CaseDeadline.Opened", "CaseDeadline.Met"]

        deadlines = case["deadlines"]
        handling = [d for d in deadlines if d["kind"] == "handling"]
        assert len(handling) == 1 and handling[0]["responsibleOrgan"] == "620102"
        assert handling[0]["status"] == "met" and handling[0]["daysLate"] == 0
        assert handling[0]["metOn"] and handling[0]["due"] >= handling[0]["metOn"]
        assert all(d["calendarVersion"] and d["rulesVersion"] for d in deadlines)


def test_another_countys_user_sees_no_supervision_of_the_case(clients) -> None:
    case_id = county_case(clients)
    city = clients("handler.6201")
    order = issue_when_known(city, case_id)
    assert order["status"] == "draft"
    # A sibling county's leader may not see the case: no timeline, no clocks leak.
    other = clients("leader.620103")
    body = other.post(CASE, id=case_id)
    case = (body.get("data") or {}).get("case")
    assert case is None or (
        not any(e["source"] == "supervision" for e in case["timeline"])
        and case["deadlines"] == []
    ), body
    # Asked by id, a case out of scope is as unknown (the refusal is logged).
    query = "query($c: ID!) { caseDeadlines(caseId: $c) { id } }"
    refused = other.post(query, c=case_id)
    assert refused["errors"][0]["extensions"]["code"] == "case_unknown", refused
    assert ok(city.post(query, c=case_id))["caseDeadlines"] is not None
