"""The Handling aggregate: the custody chain of one case, step by step and refusal by refusal."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from domain.handling import Actor, Handling, Status, TransferState
from domain.vocabulary import Office, Role, TransferKind

from .orgs import (
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_STATIONED,
    PROVINCE,
    STATIONED,
    TOWNSHIP_A,
    TOWNSHIP_B,
    TOWNSHIP_C,
    clerk,
    handler,
    leader,
    org_tree,
)

TREE = org_tree()
SUPERVISION = Office.SUPERVISION.value
PETITION = Office.PETITION.value


def opened(organ: str = TOWNSHIP_A) -> Handling:
    return Handling.open(uuid4(), organ, "王登记", report_type="accusation")


def move(
    h: Handling,
    kind: TransferKind,
    to_organ: str | None = None,
    *,
    by: Actor | None = None,
    to_office: str | None = None,
    receiver: Actor | None = None,
) -> str:
    """Propose, sign off, dispatch and receive one transfer; returns its id."""
    assert h.holder_organ is not None and h.holder_office is not None
    sender = by or Actor("经办人", h.holder_organ, h.holder_office, Role.HANDLER.value)
    tid = h.propose_transfer(
        sender, kind, "按管理权限", TREE, to_organ=to_organ, to_office=to_office
    )
    h.approve_transfer(leader(h.holder_organ), tid)
    h.dispatch_transfer(sender, tid)
    pending = h.pending_transfer
    assert pending is not None
    at = receiver or Actor("签收人", pending.to_organ or "", pending.to_office or "", "handler")
    h.receive_transfer(at, tid)
    return tid


def conclude(h: Handling, actor: Actor) -> None:
    h.decide_disposal(actor, "preliminary_verification", "有可查性")
    h.conclude(actor, "criticism_education", "partly_true", "部分属实，予以批评教育")


def error_code(exc: pytest.ExceptionInfo[DomainError]) -> str:
    return exc.value.code


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
    h.report_back(worker, "已核实完毕")
    assert h.is_held_by(COUNTY, PETITION) and h.status == Status.UNDER_REVIEW

    reviewer = clerk(COUNTY, "赵审核")
    h.review(reviewer, accept=False, reason="谈话笔录缺失")
    assert h.is_held_by(TOWNSHIP_B, SUPERVISION) and h.status == Status.OPEN
    assert h.conclusion is None

    conclude(h, worker)
    h.report_back(worker, "补充笔录后重新报结")
    h.review(reviewer, accept=True)
    assert h.status == Status.CONCLUDED and h.assignments == []
    assert h.is_held_by(COUNTY, PETITION)

    h.record_feedback(reviewer, "phone", "已电话告知处理结果", "satisfied")
    h.confirm_five_in_place(reviewer, ["investigation", "handling", "feedback"])
    h.confirm_five_in_place(reviewer, ["archiving", "education", "handling"])
    h.archive(reviewer)
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
    tid = h.propose_transfer(clerk(TOWNSHIP_A), "internal_transfer", "需核查", TREE)
    h.approve_transfer(leader(TOWNSHIP_A), tid)
    h.dispatch_transfer(clerk(TOWNSHIP_A), tid)
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
        h.report_back(clerk(COUNTY), "报结")
    assert error_code(exc) == "no_assignment"


def test_supervise_down_carries_a_deadline_and_needs_report_back() -> None:
    h = opened(CITY)
    tid = h.propose_transfer(
        clerk(CITY), "supervise_down", "督办", TREE, to_organ=COUNTY, deadline=date(2025, 3, 1)
    )
    assert h.transfers[-1].deadline == "2025-03-01"
    h.approve_transfer(leader(CITY), tid)
    h.dispatch_transfer(clerk(CITY), tid)
    h.receive_transfer(clerk(COUNTY), tid)
    assert h.assignments[-1]["organ_code"] == CITY


def test_nested_assignments_report_back_one_level_at_a_time() -> None:
    h = opened(CITY)
    move(h, TransferKind.ASSIGN_DOWN, COUNTY)
    move(h, TransferKind.ASSIGN_DOWN, TOWNSHIP_A)
    conclude(h, clerk(TOWNSHIP_A))
    h.report_back(clerk(TOWNSHIP_A), "报结")
    assert h.is_held_by(COUNTY, PETITION)
    h.review(clerk(COUNTY), accept=True, reason="同意")
    with pytest.raises(Conflict) as exc:
        h.archive(clerk(COUNTY))
    assert error_code(exc) == "report_back_required"
    h.report_back(clerk(COUNTY), "报结市纪委")
    assert h.is_held_by(CITY, PETITION)
    h.review(clerk(CITY), accept=True)
    assert h.assignments == []


def test_a_case_reported_back_up_to_its_assigner_needs_no_report_back() -> None:
    h = opened(COUNTY)
    move(h, TransferKind.ASSIGN_DOWN, TOWNSHIP_A)
    move(h, TransferKind.REPORT_UP, COUNTY)
    assert h.assignments == []


def test_hand_over_outward_is_receipted_by_the_sending_office() -> None:
    h = opened(COUNTY)
    tid = h.propose_transfer(
        clerk(COUNTY), "hand_over_outward", "涉嫌犯罪", TREE, external_body="城关区人民检察院"
    )
    h.approve_transfer(leader(COUNTY), tid)
    h.dispatch_transfer(clerk(COUNTY), tid)
    h.receive_transfer(clerk(COUNTY), tid, received_by="检察院 刘某")
    assert h.status == Status.HANDED_OVER
    assert h.holder == {"organ_code": None, "office": None, "external_body": "城关区人民检察院"}
    assert h.custody[-1].by == "检察院 刘某"
    with pytest.raises(Conflict) as exc:
        h.decide_disposal(clerk(COUNTY), "close", "已移交")
    assert error_code(exc) == "case_handed_over"


def test_refusal_keeps_custody_with_the_sender() -> None:
    h = opened(TOWNSHIP_A)
    tid = h.propose_transfer(clerk(TOWNSHIP_A), "report_up", "县管干部", TREE, to_organ=COUNTY)
    h.approve_transfer(leader(TOWNSHIP_A), tid)
    h.dispatch_transfer(clerk(TOWNSHIP_A), tid)
    h.refuse_transfer(clerk(COUNTY), tid, "属乡镇管理权限")
    assert h.is_held_by(TOWNSHIP_A, PETITION)
    assert h.transfers[-1].state == TransferState.REFUSED
    assert h.transfers[-1].refusal_reason == "属乡镇管理权限"
    assert h.pending_transfer is None
    assert len(h.custody) == 1


def test_withdraw_before_dispatch() -> None:
    h = opened()
    tid = h.propose_transfer(clerk(TOWNSHIP_A), "report_up", "县管干部", TREE, to_organ=COUNTY)
    h.approve_transfer(leader(TOWNSHIP_A), tid)
    h.withdraw_transfer(clerk(TOWNSHIP_A), tid, "材料不全")
    assert h.transfers[-1].state == TransferState.WITHDRAWN
    assert h.pending_transfer is None


def test_repeat_reports_are_shown_to_the_current_holder_once() -> None:
    h = opened(TOWNSHIP_A)
    move(h, TransferKind.REPORT_UP, COUNTY)
    repeat = uuid4()
    assert h.link_repeat(repeat, TOWNSHIP_C, "丙镇登记员") is True
    assert h.link_repeat(repeat, TOWNSHIP_C, "丙镇登记员") is False
    assert h.repeats == [
        {
            "case_id": str(repeat),
            "linked_at_organ": TOWNSHIP_C,
            "shown_to_organ": COUNTY,
            "shown_to_office": PETITION,
        }
    ]
    with pytest.raises(InvalidInput) as exc:
        h.link_repeat(h.id, TOWNSHIP_A, "x")
    assert error_code(exc) == "repeat_self"


def test_repeats_link_even_after_archiving() -> None:
    h = opened(COUNTY)
    conclude(h, clerk(COUNTY))
    h.confirm_five_in_place(clerk(COUNTY), ["investigation", "handling", "feedback"])
    h.confirm_five_in_place(clerk(COUNTY), ["archiving", "education"])
    h.confirm_five_in_place(clerk(COUNTY), ["education"])  # nothing new: no event
    h.archive(clerk(COUNTY))
    assert h.link_repeat(uuid4(), COUNTY, "登记员")


# --- refusals ------------------------------------------------------------------------


def test_actor_must_be_named_and_placed() -> None:
    with pytest.raises(InvalidInput) as exc:
        Actor(" ", COUNTY, PETITION)
    assert error_code(exc) == "actor_name_required"
    with pytest.raises(InvalidInput) as exc:
        Actor("王", "", PETITION)
    assert error_code(exc) == "actor_organ_required"
    with pytest.raises(InvalidInput) as exc:
        Actor("王", COUNTY, "canteen")
    assert error_code(exc) == "vocabulary_unknown_code"


def test_open_needs_an_organ() -> None:
    with pytest.raises(InvalidInput) as exc:
        Handling.open(uuid4(), " ", "王")
    assert error_code(exc) == "organ_required"


@pytest.mark.parametrize(
    ("source", "kind", "target", "code"),
    [
        (COUNTY, "forward_down", TOWNSHIP_C, "route_not_descendant"),
        (COUNTY, "assign_down", CITY, "route_not_descendant"),
        (COUNTY, "supervise_down", STATIONED, "route_not_descendant"),
        (COUNTY, "report_up", OTHER_COUNTY, "route_not_ancestor"),
        (COUNTY, "report_up", TOWNSHIP_A, "route_not_ancestor"),
        (COUNTY, "to_stationed_unit", OTHER_STATIONED, "route_foreign_stationed_unit"),
        (COUNTY, "from_stationed_unit", CITY, "route_foreign_stationed_unit"),
        (COUNTY, "internal_transfer", CITY, "route_not_same_organ"),
        (COUNTY, "report_up", COUNTY, "transfer_to_self"),
    ],
)
def test_routes_against_the_hierarchy_are_refused(
    source: str, kind: str, target: str, code: str
) -> None:
    h = opened(source)
    with pytest.raises(Conflict) as exc:
        h.propose_transfer(clerk(source), kind, "理由", TREE, to_organ=target)
    assert error_code(exc) == code
    assert h.pending_transfer is None


def test_unknown_target_organ_is_not_found() -> None:
    h = opened(COUNTY)
    with pytest.raises(NotFound) as exc:
        h.propose_transfer(clerk(COUNTY), "report_up", "理由", TREE, to_organ="99")
    assert error_code(exc) == "organ_unknown"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "report_up", "reason": " ", "to_organ": CITY}, "reason_required"),
        ({"kind": "report_up", "reason": "r"}, "transfer_target_required"),
        ({"kind": "teleport", "reason": "r"}, "vocabulary_unknown_code"),
        ({"kind": "hand_over_outward", "reason": "r"}, "external_body_required"),
        (
            {"kind": "hand_over_outward", "reason": "r", "to_organ": CITY, "external_body": "x"},
            "transfer_target_unexpected",
        ),
        (
            {"kind": "report_up", "reason": "r", "to_organ": CITY, "external_body": "检察院"},
            "transfer_target_unexpected",
        ),
        (
            {"kind": "report_up", "reason": "r", "to_organ": CITY, "deadline": date(2025, 1, 1)},
            "deadline_unexpected",
        ),
        (
            {"kind": "internal_transfer", "reason": "r", "to_office": "case_management"},
            "transfer_wrong_office",
        ),
        (
            {"kind": "report_up", "reason": "r", "to_organ": CITY, "to_office": "kitchen"},
            "vocabulary_unknown_code",
        ),
    ],
)
def test_malformed_proposals_are_invalid(kwargs: dict[str, object], code: str) -> None:
    h = opened(COUNTY)
    with pytest.raises(InvalidInput) as exc:
        h.propose_transfer(clerk(COUNTY), routes=TREE, **kwargs)  # type: ignore[arg-type]
    assert error_code(exc) == code


def test_stationed_unit_has_no_investigation_office() -> None:
    h = opened(COUNTY)
    with pytest.raises(InvalidInput) as exc:
        h.propose_transfer(
            clerk(COUNTY),
            "to_stationed_unit",
            "r",
            TREE,
            to_organ=STATIONED,
            to_office="investigation",
        )
    assert error_code(exc) == "office_not_at_organ"


def test_internal_transfer_only_from_the_petition_office_and_return_only_to_it() -> None:
    h = opened(COUNTY)
    move(h, TransferKind.INTERNAL_TRANSFER, to_office="investigation")
    with pytest.raises(Conflict) as exc:
        h.propose_transfer(handler(COUNTY, "investigation"), "internal_transfer", "r", TREE)
    assert error_code(exc) == "transfer_wrong_office"
    with pytest.raises(InvalidInput) as exc2:
        h.propose_transfer(
            handler(COUNTY, "investigation"),
            "return_to_petition",
            "r",
            TREE,
            to_office="supervision",
        )
    assert error_code(exc2) == "transfer_wrong_office"
    g = opened(COUNTY)
    with pytest.raises(Conflict) as exc:
        g.propose_transfer(clerk(COUNTY), "return_to_petition", "r", TREE)
    assert error_code(exc) == "transfer_wrong_office"


def test_non_holders_cannot_act() -> None:
    h = opened(COUNTY)
    outsider = clerk(CITY)
    wrong_office = handler(COUNTY)
    for actor in (outsider, wrong_office):
        for attempt in (
            lambda a: h.propose_transfer(a, "report_up", "r", TREE, to_organ=CITY),
            lambda a: h.decide_disposal(a, "inquiry", "r"),
        ):
            with pytest.raises(Forbidden) as exc:
                attempt(actor)
            assert error_code(exc) == "not_holder"
    tid = h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY)
    with pytest.raises(Forbidden) as exc:
        h.approve_transfer(leader(CITY), tid)
    assert error_code(exc) == "not_holder"
    with pytest.raises(Forbidden) as exc:
        h.dispatch_transfer(outsider, tid)
    assert error_code(exc) == "not_holder"
    with pytest.raises(Forbidden) as exc:
        h.withdraw_transfer(outsider, tid, "r")
    assert error_code(exc) == "not_holder"


def test_approval_needs_a_leader_once() -> None:
    h = opened(COUNTY)
    tid = h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY)
    with pytest.raises(Forbidden) as exc:
        h.approve_transfer(clerk(COUNTY), tid)
    assert error_code(exc) == "leader_required"
    h.approve_transfer(leader(COUNTY), tid)
    with pytest.raises(Conflict) as exc2:
        h.approve_transfer(leader(COUNTY), tid)
    assert error_code(exc2) == "transfer_already_approved"


def test_transfer_lifecycle_refusals() -> None:
    h = opened(COUNTY)
    tid = h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY)
    with pytest.raises(Conflict) as exc:
        h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY)
    assert error_code(exc) == "transfer_pending"
    with pytest.raises(Conflict) as exc:
        h.decide_disposal(clerk(COUNTY), "inquiry", "r")
    assert error_code(exc) == "transfer_pending"
    with pytest.raises(Conflict) as exc:
        h.dispatch_transfer(clerk(COUNTY), tid)
    assert error_code(exc) == "transfer_not_approved"
    with pytest.raises(Conflict) as exc:
        h.receive_transfer(clerk(CITY), tid)
    assert error_code(exc) == "transfer_not_dispatched"
    with pytest.raises(Conflict) as exc:
        h.approve_transfer(leader(COUNTY), str(uuid4()))
    assert error_code(exc) == "transfer_unknown"
    h.approve_transfer(leader(COUNTY), tid)
    h.dispatch_transfer(clerk(COUNTY), tid)
    with pytest.raises(Conflict) as exc:
        h.dispatch_transfer(clerk(COUNTY), tid)
    assert error_code(exc) == "transfer_already_dispatched"
    with pytest.raises(Conflict) as exc:
        h.withdraw_transfer(clerk(COUNTY), tid, "r")
    assert error_code(exc) == "transfer_already_dispatched"
    with pytest.raises(Forbidden) as exc3:
        h.receive_transfer(clerk(PROVINCE), tid)
    assert error_code(exc3) == "not_target"
    with pytest.raises(Forbidden) as exc3:
        h.refuse_transfer(handler(CITY), tid, "r")
    assert error_code(exc3) == "not_target"
    with pytest.raises(InvalidInput) as exc4:
        h.receive_transfer(clerk(CITY), tid, received_by=" ")
    assert error_code(exc4) == "receiver_name_required"
    with pytest.raises(InvalidInput) as exc4:
        h.refuse_transfer(clerk(CITY), tid, "")
    assert error_code(exc4) == "reason_required"
    h.receive_transfer(clerk(CITY), tid)
    with pytest.raises(Conflict) as exc:
        h.refuse_transfer(clerk(CITY), tid, "r")
    assert error_code(exc) == "transfer_closed"


def test_handling_refusals() -> None:
    h = opened(COUNTY)
    c = clerk(COUNTY)
    with pytest.raises(Conflict) as exc:
        h.conclude(c, "case_filed", "true", "立案")
    assert error_code(exc) == "disposal_missing"
    with pytest.raises(InvalidInput) as exc2:
        h.conclude(c, "not_substantiated", "true", "查否")
    assert error_code(exc2) == "conclusion_inconsistent"
    with pytest.raises(InvalidInput) as exc2:
        h.conclude(c, "party_sanction", "untrue", "处分")
    assert error_code(exc2) == "conclusion_inconsistent"
    with pytest.raises(InvalidInput) as exc2:
        h.conclude(c, "case_filed", "true", " ")
    assert error_code(exc2) == "findings_required"
    with pytest.raises(InvalidInput) as exc2:
        h.decide_disposal(c, "burn", "r")
    assert error_code(exc2) == "vocabulary_unknown_code"
    for attempt in (
        lambda: h.report_back(c, "报结"),
        lambda: h.record_feedback(c, "sms", "内容"),
        lambda: h.confirm_five_in_place(c, ["investigation"]),
        lambda: h.archive(c),
    ):
        with pytest.raises(Conflict) as exc:
            attempt()
        assert error_code(exc) == "not_concluded"
    with pytest.raises(Conflict) as exc:
        h.review(c, accept=True)
    assert error_code(exc) == "not_under_review"

    conclude(h, c)
    with pytest.raises(Conflict) as exc:
        h.decide_disposal(c, "inquiry", "r")
    assert error_code(exc) == "case_concluded"
    with pytest.raises(Conflict) as exc:
        h.propose_transfer(c, "report_up", "r", TREE, to_organ=CITY)
    assert error_code(exc) == "case_concluded"
    with pytest.raises(InvalidInput) as exc2:
        h.report_back(c, "")
    assert error_code(exc2) == "summary_required"
    with pytest.raises(InvalidInput) as exc2:
        h.record_feedback(c, "sms", "")
    assert error_code(exc2) == "feedback_content_required"
    with pytest.raises(InvalidInput) as exc2:
        h.confirm_five_in_place(c, [])
    assert error_code(exc2) == "five_in_place_empty"
    h.confirm_five_in_place(c, ["investigation"])
    with pytest.raises(Conflict) as exc:
        h.archive(c)
    assert error_code(exc) == "five_in_place_incomplete"
    assert exc.value.details["missing"] == ["handling", "feedback", "archiving", "education"]
    h.confirm_five_in_place(c, ["handling", "feedback", "archiving", "education"])
    h.archive(c)
    with pytest.raises(Conflict) as exc:
        h.archive(c)
    assert error_code(exc) == "case_archived"


def test_review_refusals() -> None:
    h = opened(COUNTY)
    move(h, TransferKind.ASSIGN_DOWN, TOWNSHIP_A)
    conclude(h, clerk(TOWNSHIP_A))
    h.report_back(clerk(TOWNSHIP_A), "报结")
    with pytest.raises(Forbidden) as exc:
        h.review(clerk(TOWNSHIP_A), accept=True)
    assert error_code(exc) == "not_holder"
    with pytest.raises(InvalidInput) as exc2:
        h.review(clerk(COUNTY), accept=False, reason=" ")
    assert error_code(exc2) == "reason_required"
    with pytest.raises(Conflict) as exc3:
        h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY)
    assert error_code(exc3) == "case_under_review"
