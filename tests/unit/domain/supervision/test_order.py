"""SupervisionOrder: drafted below the issuer, approved by a leader, acknowledged,
progress, reminders by hand and once automatically, closed or escalated."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.calendar import WorkingCalendar
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.guards import CHINA_TZ
from domain.rules import Rules
from domain.supervision.keys import deadline_id, order_id
from domain.supervision.order import OrderStatus, SupervisionOrder, in_subtree_below
from tests.actors import staff

CAL = WorkingCalendar.default()
RULES = Rules.default()
AT = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)
CASE = "6f0c2d2e-0000-4000-8000-000000000002"
CITY = staff("周处长", "6201", "supervision", "handler")
CITY_LEADER = staff("吴书记", "6201", "supervision", "leader")
COUNTY = staff("郑主任", "620102", "supervision", "handler")


def drafted(**kw) -> SupervisionOrder:
    args = {"level": "yellow_card", "requirements": "限期查清并报结", "working_days": 20}
    args.update(kw)
    return SupervisionOrder.draft(CASE, CITY, "620102", "supervision", args["level"],
                                  args["requirements"], args["working_days"], at=AT, ref="r1")


def test_subtree_is_strictly_below() -> None:
    assert in_subtree_below("620102", "6201") and not in_subtree_below("6201", "6201")
    assert not in_subtree_below("620302", "6201")


def test_the_yellow_card_story() -> None:
    o = drafted()
    assert o.id == order_id(CASE, "r1") and o.status == OrderStatus.DRAFT
    with pytest.raises(Forbidden) as not_leader:
        o.approve(CITY, date(2026, 11, 2), CAL, RULES, at=AT)
    assert not_leader.value.code == "order_needs_leader"
    with pytest.raises(Forbidden):
        o.acknowledge(COUNTY, at=AT) if False else o.approve(
            staff("x", "620102", "supervision", "leader"), date(2026, 11, 2), CAL, RULES, at=AT)
    with pytest.raises(Conflict):
        o.acknowledge(COUNTY, at=AT)
    o.approve(CITY_LEADER, date(2026, 11, 2), CAL, RULES, at=AT)
    assert o.due == CAL.add_working_days(date(2026, 11, 2), 20).date
    assert o.deadline_id == deadline_id(CASE, "handling", f"order:{o.id}")
    with pytest.raises(Forbidden):
        o.acknowledge(CITY, at=AT)
    o.acknowledge(COUNTY, at=AT)
    o.report_progress(COUNTY, "已约谈相关人员", at=AT)
    with pytest.raises(Forbidden):
        o.remind(COUNTY, "请抓紧", at=AT)
    o.remind(CITY, "请抓紧", at=AT)
    assert not o.reminder_due(date(2026, 11, 3), CAL, 3)
    assert o.reminder_due(o.due, CAL, 3)
    o.remind_automatically(at=AT)
    assert not o.reminder_due(o.due, CAL, 3)
    with pytest.raises(Conflict):
        o.remind_automatically(at=AT)
    assert o.close("报结已审核通过", at=AT, actor="s", organ_code="6201")
    assert not o.close("again", at=AT, actor="s", organ_code="6201")
    assert [h["event"] for h in o.as_dict()["history"]] == [
        "drafted", "approved", "acknowledged", "progress", "reminded", "reminded", "closed"]
    assert o.reminders == 2 and o.status == OrderStatus.CLOSED


def test_escalation_ends_the_order() -> None:
    o = drafted()
    o.approve(CITY_LEADER, date(2026, 11, 2), CAL, RULES, at=AT)
    with pytest.raises(Forbidden):
        o.escalate(COUNTY, "逾期未报", at=AT)
    o.escalate(CITY, "逾期未报,升级为红牌督办", at=AT)
    assert o.status == OrderStatus.ESCALATED and not o.is_live
    with pytest.raises(Conflict):
        o.report_progress(COUNTY, "late", at=AT)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"level": "purple"}, "vocabulary_unknown_code"),
        ({"requirements": ""}, "requirements_invalid"),
        ({"working_days": 0}, "order_days_invalid"),
        ({"working_days": 251}, "order_days_invalid"),
    ],
)
def test_bad_drafts_are_refused_with_codes(change, code) -> None:
    with pytest.raises(InvalidInput) as refused:
        drafted(**change)
    assert refused.value.code == code


def test_an_order_goes_only_below_the_issuer() -> None:
    with pytest.raises(Forbidden) as outside:
        SupervisionOrder.draft(CASE, COUNTY, "6201", None, "ordinary", "x", 5, at=AT, ref="r")
    assert outside.value.code == "order_outside_subtree"
    with pytest.raises(InvalidInput):
        SupervisionOrder.draft(CASE, CITY, "bad", None, "ordinary", "x", 5, at=AT, ref="r")
    with pytest.raises(InvalidInput):
        SupervisionOrder.draft(CASE, CITY, "620102", "nowhere", "ordinary", "x", 5, at=AT,
                               ref="r")


def test_an_order_from_a_supervised_transfer_is_issued_at_once() -> None:
    o = SupervisionOrder.from_transfer(CASE, "t9", issuer_organ="6201", holder_organ="620102",
                                       holder_office="supervision", level="ordinary",
                                       working_days=60, start=date(2026, 11, 2), calendar=CAL,
                                       rules=RULES, at=AT)
    assert o.status == OrderStatus.ISSUED and o.transfer_id == "t9"
    assert o.deadline_id == deadline_id(CASE, "handling", "t9")
    assert o.as_dict()["due"] == CAL.add_working_days(date(2026, 11, 2), 60).date.isoformat()


def test_the_issuer_accepts_the_result_of_an_order_that_did_not_move_the_case() -> None:
    o = drafted()
    o.approve(CITY_LEADER, date(2026, 11, 2), CAL, RULES, at=AT)
    with pytest.raises(Forbidden):
        o.accept_result(COUNTY, "自己验收", at=AT)
    with pytest.raises(InvalidInput):
        o.accept_result(CITY, "", at=AT)
    o.accept_result(CITY, "报结材料齐全,同意销号", at=AT)
    assert o.status == OrderStatus.CLOSED and o.history[-1]["reason"] == "报结材料齐全,同意销号"


def test_a_provisional_due_date_is_counted_again_once_its_year_is_published() -> None:
    o = SupervisionOrder.from_transfer(CASE, "t7", issuer_organ="6201", holder_organ="620102",
                                       holder_office="supervision", level="ordinary",
                                       working_days=60, start=date(2026, 12, 14), calendar=CAL,
                                       rules=RULES, at=AT)
    assert o.provisional and o.due is not None and o.due.year == 2027
    before = o.due
    # Nothing to do under the same calendar.
    assert not o.recompute(CAL, RULES, at=AT, actor="admin", organ_code="62")
    published = WorkingCalendar.default(
        {2027: {"holidays": ["2027-01-01", "2027-01-04", "2027-01-05"], "workdays": []}})
    assert o.recompute(published, RULES, at=AT, actor="admin", organ_code="62")
    assert not o.provisional and o.calendar_version == published.version
    assert o.due == published.add_working_days(date(2026, 12, 14), 60).date > before
    assert o.history[-1]["event"] == "recomputed"
    assert o.history[-1]["previous_due"] == before.isoformat()
    # Exact now: publishing again changes nothing; nor does a closed or a draft order.
    assert not o.recompute(published, RULES, at=AT, actor="admin", organ_code="62")
    late = SupervisionOrder.from_transfer(CASE, "t8", issuer_organ="6201",
                                          holder_organ="620102", holder_office="supervision",
                                          level="ordinary", working_days=60,
                                          start=date(2026, 12, 14), calendar=CAL, rules=RULES,
                                          at=AT)
    late.close("报结已审核通过", at=AT, actor="x", organ_code="6201")
    assert not late.recompute(published, RULES, at=AT, actor="admin", organ_code="62")
    assert not drafted().recompute(published, RULES, at=AT, actor="admin", organ_code="62")
