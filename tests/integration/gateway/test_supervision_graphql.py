"""Supervision through GraphQL on the running platform: a city's yellow-card order to a
county with its clock and history, the header's counts, evaluations, and coded refusals."""

from __future__ import annotations

import time

import pytest

from tests.integration.platform.casework import ACCEPT, REGISTER, ok, registration
from tests.integration.platform.logged_in import StaffClient

pytestmark = pytest.mark.integration

ORDER_FIELDS = """id caseId issuerOrgan holderOrgan level status due reminders clockLevel
  version history { what by organ note }"""
ISSUE = f"""mutation($c: ID!, $l: String!, $r: String!, $d: Int!) {{
  issueSupervisionOrder(caseId: $c, level: $l, requirements: $r, workingDays: $d) {{
    {ORDER_FIELDS} }} }}"""
APPROVE = f"mutation($id: ID!) {{ approveSupervisionOrder(id: $id) {{ {ORDER_FIELDS} }} }}"
ACT = f"""mutation($id: ID!, $a: String!, $n: String) {{
  actOnSupervisionOrder(id: $id, action: $a, note: $n) {{ {ORDER_FIELDS} }} }}"""
ORDERS = f"""query($s: String!) {{ supervisionOrders(side: $s) {{ {ORDER_FIELDS} }} }}"""
DEADLINES = """query($c: ID!) { caseDeadlines(caseId: $c) {
  id kind responsibleOrgan due status level provisional } }"""
COUNTS = "query { myWarningCounts { organ red yellow perOrgan { organ red yellow } } }"
WARNINGS = "query($o: String, $l: String) { warnings(organ: $o, level: $l) { id level } }"
OVERDUE = "query($o: String) { overdueCases(organ: $o) { id caseId } }"
DRAW = """mutation($m: String!, $o: [String!]!, $s: String) {
  drawEvaluation(month: $m, organs: $o, seed: $s) { id seed population sample } }"""
PUBLISH = "mutation($y: Int!, $f: String!) { publishCalendarYear(year: $y, file: $f) }"


def code(body: dict) -> str:
    [error] = body["errors"]
    assert error["extensions"]["message_zh"] and error["extensions"]["message_en"], body
    return str(error["extensions"]["code"])


def county_case(clients) -> str:
    """A report registered and accepted at the county 城关区 (620102), held there."""
    clerk = clients("clerk.620102")
    case_id = ok(clerk.post(REGISTER, input=registration("620102")))["registerPetition"]["caseId"]
    ok(clerk.post(ACCEPT, id=case_id))
    return str(case_id)


def issue_when_known(city: StaffClient, case_id: str, timeout: float = 30.0) -> dict:
    """Supervision learns who holds the case over the broker: retry until it does."""
    deadline = time.monotonic() + timeout
    while True:
        body = city.post(ISSUE, c=case_id, l="yellow_card", r="十个工作日内查清并报结", d=10)
        if "errors" not in body:
            return body["data"]["issueSupervisionOrder"]
        assert code(body) in ("case_unknown", "case_not_held"), body
        assert time.monotonic() < deadline, body
        time.sleep(0.5)


def test_a_city_yellow_card_order_to_a_county_runs_to_its_close(clients):
    case_id = county_case(clients)
    city, leader, county = (clients("handler.6201"), clients("leader.6201"),
                            clients("handler.620102"))
    order = issue_when_known(city, case_id)
    assert (order["issuerOrgan"], order["holderOrgan"], order["level"], order["status"]) == (
        "6201", "620102", "yellow_card", "draft")
    assert order["due"] is None  # the clock starts when a leader signs it off

    # Only a leader signs off; the county cannot act on a draft.
    assert code(city.post(APPROVE, id=order["id"])) == "order_needs_leader"
    approved = ok(leader.post(APPROVE, id=order["id"]))["approveSupervisionOrder"]
    assert approved["status"] == "issued" and approved["due"]

    received = ok(county.post(ORDERS, s="received"))["supervisionOrders"]
    assert order["id"] in [o["id"] for o in received]
    issued = ok(city.post(ORDERS, s="issued"))["supervisionOrders"]
    mine = next(o for o in issued if o["id"] == order["id"])
    assert mine["due"] == approved["due"] and mine["clockLevel"] in ("green", "yellow")

    # The county acknowledges and reports progress; the issuer may not acknowledge.
    assert code(city.post(ACT, id=order["id"], a="acknowledge")) == "order_holder_only"
    ok(county.post(ACT, id=order["id"], a="acknowledge"))
    ok(county.post(ACT, id=order["id"], a="progress", n="已约谈当事人，正在核查"))
    reminded = ok(city.post(ACT, id=order["id"], a="remind", n="请于期限前报结"))
    assert reminded["actOnSupervisionOrder"]["reminders"] == 1
    closed = ok(city.post(ACT, id=order["id"], a="accept", n="报结材料齐全，同意办结"))
    final = closed["actOnSupervisionOrder"]
    assert final["status"] == "closed"
    history = final["history"]
    assert [h["what"] for h in history][-5:] == [
        "approved", "acknowledged", "progress", "reminded", "closed"]
    assert history[-3]["note"] == "已约谈当事人，正在核查"
    assert history[-1]["note"] == "报结材料齐全，同意办结"

    # The order's clock is among the case's deadlines, met now.
    deadlines = ok(county.post(DEADLINES, c=case_id))["caseDeadlines"]
    assert deadlines and all(d["due"] for d in deadlines)
    assert {d["responsibleOrgan"] for d in deadlines} >= {"620102"}

    # A closed order takes no more steps.
    assert code(county.post(ACT, id=order["id"], a="progress", n="再次报告")) == "order_state"


def test_header_counts_and_warnings_are_the_users_subtree(clients):
    county = clients("handler.620102")
    counts = ok(county.post(COUNTS))["myWarningCounts"]
    assert counts["organ"] == "620102"
    assert counts["red"] >= 0 and counts["yellow"] >= 0
    assert sum(p["red"] + p["yellow"] for p in counts["perOrgan"]) == counts["red"] + counts[
        "yellow"]
    assert all(p["organ"].startswith("620102") for p in counts["perOrgan"])
    warned = ok(county.post(WARNINGS, o="620102", l="red"))["warnings"]
    assert all(w["level"] == "red" for w in warned)
    assert isinstance(ok(county.post(OVERDUE, o="620102"))["overdueCases"], list)


def test_bad_inputs_are_refused_with_codes(clients):
    city = clients("handler.6201")
    assert code(city.post(WARNINGS, o="6201", l="purple")) == "warning_level_invalid"
    assert code(city.post(WARNINGS, o="not an organ", l=None)) == "organ_code_invalid"
    assert code(city.post(DEADLINES, c="not-a-uuid")) == "case_id_invalid"
    assert code(city.post(ORDERS, s="sideways")) == "order_side_invalid"
    assert code(city.post(ACT, id="00000000-0000-4000-8000-000000000000", a="dance")) == (
        "order_action_invalid")
    assert code(city.post(ACT, id="00000000-0000-4000-8000-000000000000", a="remind",
                          n="请报结")) == "order_unknown"
    assert code(city.post(DRAW, m="2026-13", o=["6201"], s=None)) == "month_invalid"
    # A handler is not an evaluator; the county is not above the city.
    assert code(city.post(DRAW, m="2026-01", o=["6201"], s="s1")) == "evaluator_only"
    assert code(clients("handler.620102").post(ISSUE, c="00000000-0000-4000-8000-000000000000",
                                               l="yellow_card", r="核查", d=5)) == "case_unknown"
    admin = clients("admin.62")
    assert code(admin.post(PUBLISH, y=2031, f="- not a mapping")) == "calendar_file_invalid"
    assert code(admin.post(PUBLISH, y=2031, f="year: 2032\nholidays: []\n")) == (
        "calendar_year_mismatch")
    assert code(city.post(PUBLISH, y=2031, f="year: 2031\nholidays: [2031-01-01]\n")) == (
        "calendar_publish_forbidden")


def test_an_evaluator_draws_a_reproducible_sample(clients):
    evaluator = clients("evaluator.6201")
    first = ok(evaluator.post(DRAW, m="2026-01", o=["6201"], s="seed-a"))["drawEvaluation"]
    assert first["seed"] == "seed-a"
    assert set(first["sample"]) <= set(first["population"])
    # The month is drawn once.
    assert code(evaluator.post(DRAW, m="2026-01", o=["6201"], s="seed-a")) == "evaluation_exists"


def test_an_administrator_publishes_a_year_from_its_file(clients):
    admin = clients("admin.62")
    published = ok(admin.post(PUBLISH, y=2031, f=(
        "year: 2031\nsource: 国办发明电〔2030〕1号\n"
        "holidays: [2031-01-01, 2031-10-01, 2031-10-02]\nworkdays: [2031-09-27]\n")))
    answer = published["publishCalendarYear"]
    assert answer["year"] == 2031 and answer["calendar_version"]
    assert answer["recomputed"] >= 0
    # Live orders' provisional due dates are counted again too (none reach 2031).
    assert answer["orders_recomputed"] == 0
    # A year is published once.
    again = admin.post(PUBLISH, y=2031, f="year: 2031\nholidays: [2031-01-01]\n")
    assert code(again).startswith("calendar_")
