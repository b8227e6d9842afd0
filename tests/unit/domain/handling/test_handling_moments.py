"""Every Handling event records the moment it happened, the custody chain carries those
moments, and the payloads hold what consumers were promised (`domain.contracts`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.contracts import PUBLISHED, HandlingEvents
from domain.errors import InvalidInput
from domain.handling import Handling
from tests.unit.domain.handling.story import AT, PETITION, SUPERVISION, TREE
from tests.unit.routing.orgs import (
    COUNTY,
    STATIONED,
    TOWNSHIP_A,
    TOWNSHIP_B,
    clerk,
    handler,
    leader,
)

_BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic"}


class Ticking:
    """A clock that moves on a minute each time it is read."""

    def __init__(self) -> None:
        self.now = AT

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _move(h: Handling, clock: Ticking, kind: str, to_organ: str | None = None, **kw: Any) -> str:
    assert h.holder_organ and h.holder_office
    sender = handler(h.holder_organ, h.holder_office, "经办人")
    tid = h.propose_transfer(sender, kind, "按管理权限", TREE, to_organ=to_organ, at=clock(), **kw)
    h.approve_transfer(leader(h.holder_organ), tid, at=clock())
    h.dispatch_transfer(sender, tid, TREE, at=clock())
    t = h.transfers[-1]
    h.receive_transfer(handler(str(t.to_organ), str(t.to_office), "签收人"), tid, at=clock())
    return tid


def _payload(event: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(event).items() if k not in _BOOKKEEPING}


def test_custody_links_carry_the_moments_of_their_events() -> None:
    clock = Ticking()
    h = Handling.open(uuid4(), COUNTY, "登记员", at=clock())
    _move(h, clock, "assign_down", TOWNSHIP_A)
    worker = clerk(TOWNSHIP_A)
    h.decide_disposal(worker, "inquiry", "函询", at=clock())
    h.conclude(worker, "criticism_education", "true", "属实", at=clock())
    h.report_back(worker, "报结", at=clock())
    h.review(clerk(COUNTY), accept=False, reason="退回", at=clock())
    events = h.collect_events()
    moments = [e.at for e in events]  # type: ignore[attr-defined]
    assert moments == [AT + timedelta(minutes=n) for n in range(1, len(events) + 1)]
    by_version = {e.originator_version: e.at for e in events}  # type: ignore[attr-defined]
    assert [link.at for link in h.custody] == [by_version[link.version] for link in h.custody]
    kinds = [link.kind for link in h.custody]
    assert kinds == ["opened", "assign_down", "report_back", "send_back"]
    t = h.transfers[-1]
    assert (t.proposed_at, t.approved_at, t.dispatched_at, t.closed_at) == tuple(
        AT + timedelta(minutes=n) for n in (2, 3, 4, 5)
    )
    assert h.disposal and h.disposal["at"] == AT + timedelta(minutes=6)
    assert h.reviews[-1]["at"] == AT + timedelta(minutes=9)


def test_a_moment_without_a_time_zone_is_refused_and_nothing_recorded() -> None:
    naive = datetime(2026, 11, 2, 9, 30)
    with pytest.raises(InvalidInput) as exc:
        Handling.open(uuid4(), COUNTY, "登记员", at=naive)
    assert exc.value.code == "datetime_without_timezone"
    h = Handling.open(uuid4(), COUNTY, "登记员", at=AT)
    h.collect_events()
    with pytest.raises(InvalidInput) as exc:
        h.decide_disposal(clerk(COUNTY), "inquiry", "函询", at=naive)
    assert exc.value.code == "datetime_without_timezone"
    assert h.disposal is None and not h.pending_events


def test_internal_transfer_notifies_case_management_only_where_the_organ_has_one() -> None:
    """A stationed unit 派驻机构 has no case-management office 案管室 to notify."""
    for organ, notified in ((COUNTY, ["case_management"]), (STATIONED, [])):
        h = Handling.open(uuid4(), organ, "登记员", at=AT)
        tid = h.propose_transfer(clerk(organ), "internal_transfer", "需核查", TREE, at=AT)
        h.approve_transfer(leader(organ), tid, at=AT)
        h.dispatch_transfer(clerk(organ), tid, TREE, at=AT)
        dispatched = h.collect_events()[-1]
        assert dispatched.notified_offices == notified  # type: ignore[attr-defined]
        h.receive_transfer(handler(organ), tid, at=AT)
        assert h.is_held_by(organ, SUPERVISION)


def test_payloads_name_the_new_holder_and_whether_a_report_back_is_owed() -> None:
    clock = Ticking()
    h = Handling.open(uuid4(), COUNTY, "登记员", at=clock())
    _move(h, clock, "assign_down", TOWNSHIP_B)
    worker = clerk(TOWNSHIP_B)
    h.decide_disposal(worker, "inquiry", "函询", at=clock())
    h.conclude(worker, "criticism_education", "true", "属实", at=clock())
    h.report_back(worker, "报结", at=clock())
    h.review(clerk(COUNTY), accept=False, reason="退回重办", at=clock())
    h.conclude(worker, "criticism_education", "true", "属实", at=clock())
    h.report_back(worker, "重新报结", at=clock())
    h.review(clerk(COUNTY), accept=True, at=clock())
    events = {type(e).__name__: _payload(e) for e in h.collect_events()}
    received = events["TransferReceived"]
    assert (received["holder_organ"], received["holder_office"]) == (TOWNSHIP_B, PETITION)
    sent_back = events["SentBack"]
    assert (sent_back["holder_organ"], sent_back["holder_office"]) == (TOWNSHIP_B, PETITION)
    assert events["Concluded"]["report_back_required"] is True
    assert events["ResultAccepted"]["report_back_required"] is False

    own = Handling.open(uuid4(), COUNTY, "登记员", at=AT)
    own.decide_disposal(clerk(COUNTY), "inquiry", "函询", at=AT)
    own.conclude(clerk(COUNTY), "criticism_education", "true", "属实", at=AT)
    concluded = own.collect_events()[-1]
    assert concluded.report_back_required is False  # type: ignore[attr-defined]


def test_nested_assignments_say_a_further_report_back_is_owed() -> None:
    clock = Ticking()
    h = Handling.open(uuid4(), "6201", "登记员", at=clock())
    _move(h, clock, "assign_down", COUNTY)
    _move(h, clock, "assign_down", TOWNSHIP_A)
    h.decide_disposal(clerk(TOWNSHIP_A), "inquiry", "函询", at=clock())
    h.conclude(clerk(TOWNSHIP_A), "criticism_education", "true", "属实", at=clock())
    h.report_back(clerk(TOWNSHIP_A), "报结", at=clock())
    h.review(clerk(COUNTY), accept=True, at=clock())
    accepted = h.collect_events()[-1]
    assert accepted.report_back_required is True  # type: ignore[attr-defined]


def test_every_event_carries_exactly_its_published_fields() -> None:
    clock = Ticking()
    h = Handling.open(uuid4(), COUNTY, "登记员", at=clock())
    _move(h, clock, "assign_down", TOWNSHIP_A)
    _move(h, clock, "internal_transfer")
    worker = handler(TOWNSHIP_A)
    h.decide_disposal(worker, "inquiry", "函询", at=clock())
    h.conclude(worker, "criticism_education", "true", "属实", at=clock())
    h.report_back(worker, "报结", at=clock())
    h.review(clerk(COUNTY), accept=False, reason="退回", at=clock())
    h.conclude(worker, "criticism_education", "true", "属实", at=clock())
    h.report_back(worker, "报结", at=clock())
    h.review(clerk(COUNTY), accept=True, at=clock())
    h.record_feedback(clerk(COUNTY), "phone", "已告知", at=clock())
    h.confirm_five_in_place(clerk(COUNTY), ["investigation", "handling"], at=clock())
    h.confirm_five_in_place(clerk(COUNTY), ["feedback", "archiving", "education"], at=clock())
    h.archive(clerk(COUNTY), at=clock())
    h.link_repeat(uuid4(), TOWNSHIP_B, "登记员", at=clock())
    seen = set()
    for e in h.collect_events():
        name = f"Handling.{type(e).__name__}"
        seen.add(name)
        assert set(_payload(e)) == PUBLISHED[name].fields, name
    withdrawn = Handling.open(uuid4(), COUNTY, "登记员", at=AT)
    tid = withdrawn.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ="6201", at=AT)
    withdrawn.withdraw_transfer(clerk(COUNTY), tid, "撤回", at=AT)
    tid = withdrawn.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ="6201", at=AT)
    withdrawn.approve_transfer(leader(COUNTY), tid, at=AT)
    withdrawn.dispatch_transfer(clerk(COUNTY), tid, TREE, at=AT)
    withdrawn.refuse_transfer(clerk("6201"), tid, "不属管辖", at=AT)
    for e in withdrawn.collect_events():
        name = f"Handling.{type(e).__name__}"
        seen.add(name)
        assert set(_payload(e)) == PUBLISHED[name].fields, name
    declared = {v for k, v in vars(HandlingEvents).items() if k.isupper()}
    assert seen == declared
