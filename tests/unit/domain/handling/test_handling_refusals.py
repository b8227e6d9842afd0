"""The Handling aggregate refusal by refusal: every code, and nothing recorded."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.handling import Handling
from domain.vocabulary import TransferKind
from tests.actors import staff
from tests.unit.domain.handling.story import (
    AT,
    PETITION,
    TREE,
    conclude,
    error_code,
    move,
    opened,
)
from tests.unit.routing.orgs import (
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_STATIONED,
    PROVINCE,
    STATIONED,
    TOWNSHIP_A,
    TOWNSHIP_C,
    clerk,
    handler,
    leader,
)


def test_actor_must_be_named_and_placed() -> None:
    with pytest.raises(InvalidInput) as exc:
        staff(" ", COUNTY, PETITION)
    assert error_code(exc) == "actor_name_required"
    with pytest.raises(InvalidInput) as exc:
        staff("王", "", PETITION)
    assert error_code(exc) == "actor_organ_required"
    with pytest.raises(InvalidInput) as exc:
        staff("王", COUNTY, "canteen")
    assert error_code(exc) == "vocabulary_unknown_code"


def test_open_needs_an_organ() -> None:
    with pytest.raises(InvalidInput) as exc:
        Handling.open(uuid4(), " ", "王", at=AT)
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
        h.propose_transfer(clerk(source), kind, "理由", TREE, to_organ=target, at=AT)
    assert error_code(exc) == code
    assert h.pending_transfer is None


def test_unknown_target_organ_is_not_found() -> None:
    h = opened(COUNTY)
    with pytest.raises(NotFound) as exc:
        h.propose_transfer(clerk(COUNTY), "report_up", "理由", TREE, to_organ="99", at=AT)
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
        h.propose_transfer(clerk(COUNTY), routes=TREE, **kwargs, at=AT)  # type: ignore[arg-type]
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
            at=AT,
        )
    assert error_code(exc) == "office_not_at_organ"


def test_internal_transfer_only_from_the_petition_office_and_return_only_to_it() -> None:
    h = opened(COUNTY)
    move(h, TransferKind.INTERNAL_TRANSFER, to_office="investigation")
    with pytest.raises(Conflict) as exc:
        h.propose_transfer(handler(COUNTY, "investigation"), "internal_transfer", "r", TREE, at=AT)
    assert error_code(exc) == "transfer_wrong_office"
    with pytest.raises(InvalidInput) as exc2:
        h.propose_transfer(
            handler(COUNTY, "investigation"),
            "return_to_petition",
            "r",
            TREE,
            to_office="supervision",
            at=AT,
        )
    assert error_code(exc2) == "transfer_wrong_office"
    g = opened(COUNTY)
    with pytest.raises(Conflict) as exc:
        g.propose_transfer(clerk(COUNTY), "return_to_petition", "r", TREE, at=AT)
    assert error_code(exc) == "transfer_wrong_office"


def test_non_holders_cannot_act() -> None:
    h = opened(COUNTY)
    outsider = clerk(CITY)
    wrong_office = handler(COUNTY)
    for actor in (outsider, wrong_office):
        for attempt in (
            lambda a: h.propose_transfer(a, "report_up", "r", TREE, to_organ=CITY, at=AT),
            lambda a: h.decide_disposal(a, "inquiry", "r", at=AT),
        ):
            with pytest.raises(Forbidden) as exc:
                attempt(actor)
            assert error_code(exc) == "not_holder"
    tid = h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY, at=AT)
    with pytest.raises(Forbidden) as exc:
        h.approve_transfer(leader(CITY), tid, at=AT)
    assert error_code(exc) == "not_holder"
    with pytest.raises(Forbidden) as exc:
        h.dispatch_transfer(outsider, tid, TREE, at=AT)
    assert error_code(exc) == "not_holder"
    with pytest.raises(Forbidden) as exc:
        h.withdraw_transfer(outsider, tid, "r", at=AT)
    assert error_code(exc) == "not_holder"


def test_approval_needs_a_leader_once() -> None:
    h = opened(COUNTY)
    tid = h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY, at=AT)
    with pytest.raises(Forbidden) as exc:
        h.approve_transfer(clerk(COUNTY), tid, at=AT)
    assert error_code(exc) == "leader_required"
    h.approve_transfer(leader(COUNTY), tid, at=AT)
    with pytest.raises(Conflict) as exc2:
        h.approve_transfer(leader(COUNTY), tid, at=AT)
    assert error_code(exc2) == "transfer_already_approved"


def test_transfer_lifecycle_refusals() -> None:
    h = opened(COUNTY)
    tid = h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY, at=AT)
    with pytest.raises(Conflict) as exc:
        h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY, at=AT)
    assert error_code(exc) == "transfer_pending"
    with pytest.raises(Conflict) as exc:
        h.decide_disposal(clerk(COUNTY), "inquiry", "r", at=AT)
    assert error_code(exc) == "transfer_pending"
    with pytest.raises(Conflict) as exc:
        h.dispatch_transfer(clerk(COUNTY), tid, TREE, at=AT)
    assert error_code(exc) == "transfer_not_approved"
    with pytest.raises(Conflict) as exc:
        h.receive_transfer(clerk(CITY), tid, at=AT)
    assert error_code(exc) == "transfer_not_dispatched"
    with pytest.raises(Conflict) as exc:
        h.approve_transfer(leader(COUNTY), str(uuid4()), at=AT)
    assert error_code(exc) == "transfer_unknown"
    h.approve_transfer(leader(COUNTY), tid, at=AT)
    h.dispatch_transfer(clerk(COUNTY), tid, TREE, at=AT)
    with pytest.raises(Conflict) as exc:
        h.dispatch_transfer(clerk(COUNTY), tid, TREE, at=AT)
    assert error_code(exc) == "transfer_already_dispatched"
    with pytest.raises(Conflict) as exc:
        h.withdraw_transfer(clerk(COUNTY), tid, "r", at=AT)
    assert error_code(exc) == "transfer_already_dispatched"
    with pytest.raises(Forbidden) as exc3:
        h.receive_transfer(clerk(PROVINCE), tid, at=AT)
    assert error_code(exc3) == "not_target"
    with pytest.raises(Forbidden) as exc3:
        h.refuse_transfer(handler(CITY), tid, "r", at=AT)
    assert error_code(exc3) == "not_target"
    with pytest.raises(InvalidInput) as exc4:
        h.receive_transfer(clerk(CITY), tid, received_by=" ", at=AT)
    assert error_code(exc4) == "receiver_name_required"
    with pytest.raises(InvalidInput) as exc4:
        h.refuse_transfer(clerk(CITY), tid, "", at=AT)
    assert error_code(exc4) == "reason_required"
    h.receive_transfer(clerk(CITY), tid, at=AT)
    with pytest.raises(Conflict) as exc:
        h.refuse_transfer(clerk(CITY), tid, "r", at=AT)
    assert error_code(exc) == "transfer_closed"


def test_handling_refusals() -> None:
    h = opened(COUNTY)
    c = clerk(COUNTY)
    with pytest.raises(Conflict) as exc:
        h.conclude(c, "case_filed", "true", "立案", at=AT)
    assert error_code(exc) == "disposal_missing"
    with pytest.raises(InvalidInput) as exc2:
        h.conclude(c, "not_substantiated", "true", "查否", at=AT)
    assert error_code(exc2) == "conclusion_inconsistent"
    with pytest.raises(InvalidInput) as exc2:
        h.conclude(c, "party_sanction", "untrue", "处分", at=AT)
    assert error_code(exc2) == "conclusion_inconsistent"
    with pytest.raises(InvalidInput) as exc2:
        h.conclude(c, "case_filed", "true", " ", at=AT)
    assert error_code(exc2) == "findings_required"
    with pytest.raises(InvalidInput) as exc2:
        h.decide_disposal(c, "burn", "r", at=AT)
    assert error_code(exc2) == "vocabulary_unknown_code"
    for attempt in (
        lambda: h.report_back(c, "报结", at=AT),
        lambda: h.record_feedback(c, "sms", "内容", at=AT),
        lambda: h.confirm_five_in_place(c, ["investigation"], at=AT),
        lambda: h.archive(c, at=AT),
    ):
        with pytest.raises(Conflict) as exc:
            attempt()
        assert error_code(exc) == "not_concluded"
    with pytest.raises(Conflict) as exc:
        h.review(c, accept=True, at=AT)
    assert error_code(exc) == "not_under_review"

    conclude(h, c)
    with pytest.raises(Conflict) as exc:
        h.decide_disposal(c, "inquiry", "r", at=AT)
    assert error_code(exc) == "case_concluded"
    with pytest.raises(Conflict) as exc:
        h.propose_transfer(c, "report_up", "r", TREE, to_organ=CITY, at=AT)
    assert error_code(exc) == "case_concluded"
    with pytest.raises(InvalidInput) as exc2:
        h.report_back(c, "", at=AT)
    assert error_code(exc2) == "summary_required"
    with pytest.raises(InvalidInput) as exc2:
        h.record_feedback(c, "sms", "", at=AT)
    assert error_code(exc2) == "feedback_content_required"
    with pytest.raises(InvalidInput) as exc2:
        h.confirm_five_in_place(c, [], at=AT)
    assert error_code(exc2) == "five_in_place_empty"
    h.confirm_five_in_place(c, ["investigation"], at=AT)
    with pytest.raises(Conflict) as exc:
        h.archive(c, at=AT)
    assert error_code(exc) == "five_in_place_incomplete"
    assert exc.value.details["missing"] == ["handling", "feedback", "archiving", "education"]
    h.confirm_five_in_place(c, ["handling", "feedback", "archiving", "education"], at=AT)
    h.archive(c, at=AT)
    with pytest.raises(Conflict) as exc:
        h.archive(c, at=AT)
    assert error_code(exc) == "case_archived"


def test_review_refusals() -> None:
    h = opened(COUNTY)
    move(h, TransferKind.ASSIGN_DOWN, TOWNSHIP_A)
    conclude(h, clerk(TOWNSHIP_A))
    h.report_back(clerk(TOWNSHIP_A), "报结", at=AT)
    with pytest.raises(Forbidden) as exc:
        h.review(clerk(TOWNSHIP_A), accept=True, at=AT)
    assert error_code(exc) == "not_holder"
    with pytest.raises(InvalidInput) as exc2:
        h.review(clerk(COUNTY), accept=False, reason=" ", at=AT)
    assert error_code(exc2) == "reason_required"
    with pytest.raises(Conflict) as exc3:
        h.propose_transfer(clerk(COUNTY), "report_up", "r", TREE, to_organ=CITY, at=AT)
    assert error_code(exc3) == "case_under_review"
