"""The Handling aggregate: the custody chain of one case, step by step."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import Conflict, InvalidInput
from domain.handling import Status, TransferState
from domain.vocabulary import TransferKind
from tests.unit.domain.handling.story import (
    AT,
    PETITION,
    SUPERVISION,
    TREE,
    conclude,
    error_code,
    move,
    opened,
)
from tests.unit.routing.orgs import (
    CITY,
    COUNTY,
    STATIONED,
    TOWNSHIP_A,
    TOWNSHIP_B,
    TOWNSHIP_C,
    clerk,
    handler,
    leader,
)


def test_a_case_travels_up_down_and_back_to_archive() -> None:
    """Township registers, reports up; the county assigns it to another township, which
    concludes, reports back, is sent back to redo, concludes again and is accepted."""
    h = opened(TOWNSHIP_A)
    assert h.holder == {"organ_code": TOWNSHIP_A, "office": PETITION, "external_body": None}
    assert h.status == Status.OPEN

    move(h, TransferKind.REPORT_UP, COUNTY)
    assert h.is_held_by(COUNTY, PETITION)
    assign = move(h, TransferKind.ASSIGN_DOWN, TOWNSHIP_B)
    assert h.is_held_by(TOWNSHIP_B, PETITION)
    assert h.assignments == [{"organ_code": COUNTY, "office": PETITION, "transfer_id": assign}]

    move(h, TransferKind.INTERNAL_TRANSFER, TOWNSHIP_B)
    assert h.is_held_by(TOWNSHIP_B, SUPERVISION)
    worker = handler(TOWNSHIP_B)
    conclude(h, worker)
    h.report_back(worker, "已核实完毕", at=AT)
    assert h.is_held_by(COUNTY, PETITION) and h.status == Status.UNDER_REVIEW

    reviewer = clerk(COUNTY, "赵审核")
    h.review(reviewer, accept=False, reason="谈话笔录缺失", at=AT)
    assert h.is_held_by(TOWNSHIP_B, SUPERVISION) and h.status == Status.OPEN
    assert h.conclusion is None

    conclude(h, worker)
    h.report_back(worker, "补充笔录后重新报结", at=AT)
    h.review(reviewer, accept=True, at=AT)
    assert h.status == Status.CONCLUDED and h.assignments == []
    assert h.is_held_by(COUNTY, PETITION)

    h.record_feedback(reviewer, "phone", "已电话告知处理结果", "satisfied", at=AT)
    h.confirm_five_in_place(reviewer, ["investigation", "handling", "feedback"], at=AT)
    h.confirm_five_in_place(reviewer, ["archiving", "education", "handling"], at=AT)
    h.archive(reviewer, at=AT)
    assert h.status == Status.ARCHIVED and h.archived_by == "赵审核"

    kinds = [link.kind for link in h.custody]
    assert kinds == [
        "opened",
        "report_up",
        "assign_down",
        "internal_transfer",
        "report_back",
        "send_back",
        "report_back",
    ]
    assert [len(c) for c in (h.conclusions, h.reviews)] == [2, 2]
    for link, after in zip(h.custody, h.custody[1:], strict=False):
        assert (link.to_organ, link.to_office) == (after.from_organ, after.from_office)


def test_every_event_names_the_organ_and_the_actor() -> None:
    h = opened()
    move(h, TransferKind.INTERNAL_TRANSFER, TOWNSHIP_A)
    for e in h.collect_events():
        assert isinstance(e.organ_code, str) and e.organ_code  # type: ignore[attr-defined]
        assert isinstance(e.actor, str) and e.actor  # type: ignore[attr-defined]


def test_internal_transfer_notifies_case_management() -> None:
    h = opened()
    tid = h.propose_transfer(clerk(TOWNSHIP_A), "internal_transfer", "需核查", TREE, at=AT)
    h.approve_transfer(leader(TOWNSHIP_A), tid, at=AT)
    h.dispatch_transfer(clerk(TOWNSHIP_A), tid, TREE, at=AT)
    dispatched = h.collect_events()[-1]
    assert type(dispatched).__name__ == "TransferDispatched"
    assert dispatched.notified_offices == ["case_management"]  # type: ignore[attr-defined]


def test_return_to_petition_office() -> None:
    h = opened(COUNTY)
    move(h, TransferKind.INTERNAL_TRANSFER, COUNTY, to_office="investigation")
    assert h.is_held_by(COUNTY, "investigation")
    move(h, TransferKind.RETURN_TO_PETITION)
    assert h.is_held_by(COUNTY, PETITION)


def test_to_and_from_a_stationed_unit() -> None:
    h = opened(COUNTY)
    move(h, TransferKind.TO_STATIONED_UNIT, STATIONED)
    assert h.is_held_by(STATIONED, PETITION)
    move(h, TransferKind.FROM_STATIONED_UNIT, COUNTY)
    assert h.is_held_by(COUNTY, PETITION)


def test_forward_down_needs_no_report_back() -> None:
    h = opened(CITY)
    move(h, TransferKind.FORWARD_DOWN, COUNTY)
    assert h.assignments == []
    conclude(h, clerk(COUNTY))
    with pytest.raises(Conflict) as exc:
        h.report_back(clerk(COUNTY), "报结", at=AT)
    assert error_code(exc) == "no_assignment"


def test_supervise_down_needs_report_back() -> None:
    # Its deadline is supervision's, computed from the rules and the calendar: no date here.
    h = opened(CITY)
    tid = h.propose_transfer(clerk(CITY), "supervise_down", "督办", TREE, to_organ=COUNTY, at=AT)
    assert h.transfers[-1].kind == "supervise_down"
    h.approve_transfer(leader(CITY), tid, at=AT)
    h.dispatch_transfer(clerk(CITY), tid, TREE, at=AT)
    h.receive_transfer(clerk(COUNTY), tid, at=AT)
    assert h.assignments[-1]["organ_code"] == CITY


def test_nested_assignments_report_back_one_level_at_a_time() -> None:
    h = opened(CITY)
    move(h, TransferKind.ASSIGN_DOWN, COUNTY)
    move(h, TransferKind.ASSIGN_DOWN, TOWNSHIP_A)
    conclude(h, clerk(TOWNSHIP_A))
    h.report_back(clerk(TOWNSHIP_A), "报结", at=AT)
    assert h.is_held_by(COUNTY, PETITION)
    h.review(clerk(COUNTY), accept=True, reason="同意", at=AT)
    with pytest.raises(Conflict) as exc:
        h.archive(clerk(COUNTY), at=AT)
    assert error_code(exc) == "report_back_required"
    h.report_back(clerk(COUNTY), "报结市纪委", at=AT)
    assert h.is_held_by(CITY, PETITION)
    h.review(clerk(CITY), accept=True, at=AT)
    assert h.assignments == []


def test_a_case_reported_back_up_to_its_assigner_needs_no_report_back() -> None:
    h = opened(COUNTY)
    move(h, TransferKind.ASSIGN_DOWN, TOWNSHIP_A)
    move(h, TransferKind.REPORT_UP, COUNTY)
    assert h.assignments == []


def test_hand_over_outward_is_receipted_by_the_sending_office() -> None:
    h = opened(COUNTY)
    tid = h.propose_transfer(
        clerk(COUNTY),
        "hand_over_outward",
        "涉嫌犯罪",
        TREE,
        external_body="城关区人民检察院",
        at=AT,
    )
    h.approve_transfer(leader(COUNTY), tid, at=AT)
    h.dispatch_transfer(clerk(COUNTY), tid, TREE, at=AT)
    h.receive_transfer(clerk(COUNTY), tid, received_by="检察院 刘某", at=AT)
    assert h.status == Status.HANDED_OVER
    assert h.holder == {"organ_code": None, "office": None, "external_body": "城关区人民检察院"}
    assert h.custody[-1].by == "检察院 刘某"
    with pytest.raises(Conflict) as exc:
        h.decide_disposal(clerk(COUNTY), "close", "已移交", at=AT)
    assert error_code(exc) == "case_handed_over"


def test_refusal_keeps_custody_with_the_sender() -> None:
    h = opened(TOWNSHIP_A)
    tid = h.propose_transfer(
        clerk(TOWNSHIP_A), "report_up", "县管干部", TREE, to_organ=COUNTY, at=AT
    )
    h.approve_transfer(leader(TOWNSHIP_A), tid, at=AT)
    h.dispatch_transfer(clerk(TOWNSHIP_A), tid, TREE, at=AT)
    h.refuse_transfer(clerk(COUNTY), tid, "属乡镇管理权限", at=AT)
    assert h.is_held_by(TOWNSHIP_A, PETITION)
    assert h.transfers[-1].state == TransferState.REFUSED
    assert h.transfers[-1].refusal_reason == "属乡镇管理权限"
    assert h.pending_transfer is None
    assert len(h.custody) == 1


def test_withdraw_before_dispatch() -> None:
    h = opened()
    tid = h.propose_transfer(
        clerk(TOWNSHIP_A), "report_up", "县管干部", TREE, to_organ=COUNTY, at=AT
    )
    h.approve_transfer(leader(TOWNSHIP_A), tid, at=AT)
    h.withdraw_transfer(clerk(TOWNSHIP_A), tid, "材料不全", at=AT)
    assert h.transfers[-1].state == TransferState.WITHDRAWN
    assert h.pending_transfer is None


def test_repeat_reports_are_shown_to_the_current_holder_once() -> None:
    h = opened(TOWNSHIP_A)
    move(h, TransferKind.REPORT_UP, COUNTY)
    repeat = uuid4()
    assert h.link_repeat(repeat, TOWNSHIP_C, "丙镇登记员", at=AT) is True
    assert h.link_repeat(repeat, TOWNSHIP_C, "丙镇登记员", at=AT) is False
    assert h.repeats == [
        {
            "case_id": str(repeat),
            "linked_at_organ": TOWNSHIP_C,
            "shown_to_organ": COUNTY,
            "shown_to_office": PETITION,
            "at": AT,
        }
    ]
    with pytest.raises(InvalidInput) as exc:
        h.link_repeat(h.id, TOWNSHIP_A, "x", at=AT)
    assert error_code(exc) == "repeat_self"


def test_repeats_link_even_after_archiving() -> None:
    h = opened(COUNTY)
    conclude(h, clerk(COUNTY))
    h.confirm_five_in_place(clerk(COUNTY), ["investigation", "handling", "feedback"], at=AT)
    h.confirm_five_in_place(clerk(COUNTY), ["archiving", "education"], at=AT)
    h.confirm_five_in_place(clerk(COUNTY), ["education"], at=AT)  # nothing new: no event
    h.archive(clerk(COUNTY), at=AT)
    assert h.link_repeat(uuid4(), COUNTY, "登记员", at=AT)
