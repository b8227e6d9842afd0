"""Intake's rules across services, in memory: the leader's step for not accepting, repeat
candidates across the province with their holder, the final public result, and
concurrency refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.contracts import Envelope, HandlingEvents
from domain.errors import Conflict, Forbidden
from domain.hierarchy import OrgTree
from domain.petition import Petition, ReporterIdentity
from infra import aggregates
from services.intake.application import IntakeApplication
from tests.actors import MONITOR, staff
from tests.unit.intake.support import at, intake_in_memory

ORGS = OrgTree.from_records(
    [
        {"code": "62", "name": "甘肃省纪委监委", "level": "province", "parent": None},
        {
            "code": "62E01",
            "name": "酒钢集团公司纪委",
            "level": "province",
            "kind": "enterprise_commission",
            "parent": "62",
        },
        {"code": "6201", "name": "兰州市纪委监委", "level": "city", "parent": "62"},
        {"code": "6202", "name": "嘉峪关市纪委监委", "level": "city", "parent": "62"},
        {"code": "620102", "name": "城关区纪委监委", "level": "county", "parent": "6201"},
        {"code": "620103", "name": "七里河区纪委监委", "level": "county", "parent": "6201"},
        {"code": "63", "name": "青海省纪委监委", "level": "province", "parent": None},
    ]
)
REPORTER = ReporterIdentity.create("张晓梅", "620102198001011239", "13919876543", "兰州")
CLERK = staff("clerk.li", "620102", "petition", "petition_clerk")
LEADER = staff("leader.zhang", "620102", "petition", "leader")
TRACK = "routing.events#0"
PERSON = {"name": "李建国", "unit": "某镇政府"}


class SteppingClock:
    """A clock that moves a minute every time it is read."""

    def __init__(self) -> None:
        self.now = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def intake(tmp_path: Path, clock: SteppingClock) -> IntakeApplication:
    return intake_in_memory(tmp_path, ORGS, clock)


def register(intake: IntakeApplication, **fields: Any) -> Any:
    base: dict[str, Any] = {
        "organ_code": "620102",
        "channel": "web",
        "summary": "反映某局长违规收受礼金",
        "received_at": datetime(2024, 6, 1, tzinfo=UTC),
    }
    merged = {**base, **fields}
    merged.setdefault("actor", at(merged["organ_code"]))
    return intake.register(**merged)


class Routing:
    """routing.events as intake receives them, numbered in order."""

    def __init__(self, intake: IntakeApplication) -> None:
        self.intake = intake
        self.position = 0
        self.sequences: dict[str, int] = {}

    def send(self, kind: str, case_id: UUID, **payload: Any) -> None:
        self.position += 1
        sequence = self.sequences.get(str(case_id), 0) + 1
        self.sequences[str(case_id)] = sequence
        envelope = Envelope(
            event_id=str(uuid4()),
            type=kind,
            case_id=str(case_id),
            sequence=sequence,
            organ_code=str(payload.get("organ_code", "620102")),
            actor="handler.wu",
            occurred_at="",
            source="routing",
            payload={"at": "2024-06-03T09:00:00+08:00", **payload},
            notification_id=self.position,
        )
        self.intake.handle_routing_event(envelope, TRACK)


@pytest.fixture
def routing(intake: IntakeApplication) -> Routing:
    return Routing(intake)


# --- not accepting 不予受理 needs a leader's approval ------------------------------------


def test_not_accepting_waits_for_a_leader_of_the_same_organ(
    intake: IntakeApplication, clock: SteppingClock
) -> None:
    case = register(intake)
    intake.propose_not_accept(case.case_id, "仅列举违纪行为名称,无实质内容", actor=CLERK)
    assert intake.progress(case.receipt_code)["stage"] == "received"
    view = intake.petition(case.case_id, MONITOR)
    assert view["not_accept_proposal"]["proposed_by"] == "clerk.li"
    with pytest.raises(Conflict) as pending:
        intake.accept(case.case_id, "accusation", actor=at("620102", "clerk.li"))
    assert pending.value.code == "not_accept_pending"
    other_organ = staff("leader.wang", "6201", "petition", "leader")
    with pytest.raises(Forbidden) as forbidden:
        intake.approve_not_accept(case.case_id, actor=other_organ)
    # The policy refuses first: a leader signs off for their own organ only.
    assert forbidden.value.code == "forbidden"
    assert forbidden.value.details["reason"] == "no_rule_grants_approve_case"
    intake.approve_not_accept(case.case_id, actor=LEADER)
    view = intake.petition(case.case_id, MONITOR)
    assert (view["stage"], view["proposed_by"], view["approved_by"]) == (
        "not_accepted",
        "clerk.li",
        "leader.zhang",
    )
    # Every moment is the injected clock's: the decision comes a step after registration.
    assert view["screened_at"] - view["registered_at"] >= timedelta(minutes=2)
    assert intake.progress(case.receipt_code)["reason"] == "仅列举违纪行为名称,无实质内容"


def test_a_rejected_proposal_is_screened_again(intake: IntakeApplication) -> None:
    case = register(intake)
    intake.propose_not_accept(case.case_id, "无实质内容", actor=CLERK)
    intake.reject_not_accept(case.case_id, "有具体时间和金额", actor=LEADER)
    assert intake.petition(case.case_id, MONITOR)["not_accept_proposal"] is None
    intake.accept(case.case_id, "accusation", actor=at("620102", "clerk.li"))
    assert intake.petition(case.case_id, MONITOR)["stage"] == "accepted"


# --- repeat candidates: the whole province, with their holder -------------------------


def test_repeat_candidates_come_from_the_whole_province_with_their_holder(
    intake: IntakeApplication, routing: Routing
) -> None:
    def first_at(organ: str) -> UUID:
        case = register(intake, organ_code=organ, reported_persons=[PERSON]).case_id
        intake.accept(case, "accusation", actor=at(organ))
        return case

    province, enterprise = first_at("62"), first_at("62E01")
    sibling, other_city = first_at("620103"), first_at("6202")
    elsewhere = first_at("63")
    routing.send(HandlingEvents.OPENED, sibling, organ_code="620103", report_type="accusation")
    routing.send(
        HandlingEvents.TRANSFER_RECEIVED,
        sibling,
        organ_code="620103",
        transfer_id="t1",
        received_by="handler.wu",
        holder_organ="6201",
        holder_office="supervision",
    )
    later = register(intake, reported_persons=[PERSON]).case_id
    found = {c.case_id: c for c in intake.repeat_candidates(later, MONITOR)}
    assert set(found) == {str(province), str(enterprise), str(sibling), str(other_city)}
    assert str(elsewhere) not in found
    moved = found[str(sibling)]
    assert (moved.holder_organ, moved.holder_organ_name, moved.holder_office) == (
        "6201",
        "兰州市纪委监委",
        "supervision",
    )
    waiting = found[str(enterprise)]
    assert (waiting.holder_organ, waiting.holder_organ_name, waiting.holder_office) == (
        "62E01",
        "酒钢集团公司纪委",
        "petition",
    )


# --- the public result is shown only once it is final ----------------------------------


def test_an_assigned_case_shows_its_result_only_after_the_review(
    intake: IntakeApplication, routing: Routing
) -> None:
    case = register(intake)
    intake.accept(case.case_id, "accusation", actor=at("620102", "clerk"))
    routing.send(HandlingEvents.OPENED, case.case_id, organ_code="620102")
    routing.send(
        HandlingEvents.CONCLUDED,
        case.case_id,
        outcome="party_sanction",
        substantiation="true",
        findings="秘",
        report_back_required=True,
    )
    assert intake.progress(case.receipt_code)["stage"] == "in_handling"
    routing.send(
        HandlingEvents.REPORTED_BACK,
        case.case_id,
        summary="s",
        to_organ="6201",
        to_office="petition",
    )
    routing.send(
        HandlingEvents.SENT_BACK,
        case.case_id,
        reason="事实不清",
        holder_organ="620102",
        holder_office="supervision",
    )
    assert intake.progress(case.receipt_code)["stage"] == "in_handling"
    routing.send(
        HandlingEvents.CONCLUDED,
        case.case_id,
        outcome="admonishing_talk",
        substantiation="partly_true",
        findings="秘",
        report_back_required=True,
    )
    routing.send(
        HandlingEvents.REPORTED_BACK,
        case.case_id,
        summary="s",
        to_organ="6201",
        to_office="petition",
    )
    assert intake.progress(case.receipt_code)["result_zh"] is None
    routing.send(HandlingEvents.RESULT_ACCEPTED, case.case_id, reason="同意")
    seen = intake.progress(case.receipt_code)
    assert seen["stage"] == "concluded"
    assert seen["result_en"] == "Concluded: Admonishing talk"
    assert "秘" not in str(seen)


def test_a_send_back_returns_a_published_result_to_in_handling(
    intake: IntakeApplication, routing: Routing
) -> None:
    case = register(intake)
    intake.accept(case.case_id, "accusation", actor=at("620102", "clerk"))
    routing.send(HandlingEvents.OPENED, case.case_id, organ_code="620102")
    routing.send(HandlingEvents.CONCLUDED, case.case_id, outcome="party_sanction")
    assert intake.progress(case.receipt_code)["stage"] == "concluded"
    routing.send(HandlingEvents.SENT_BACK, case.case_id, reason="退回重办")
    seen = intake.progress(case.receipt_code)
    assert (seen["stage"], seen["result_zh"]) == ("in_handling", None)
    routing.send(HandlingEvents.CONCLUDED, case.case_id, outcome="criticism_education")
    assert intake.progress(case.receipt_code)["stage"] == "concluded"


def test_a_repeat_shows_the_progress_of_its_first_case(
    intake: IntakeApplication, routing: Routing
) -> None:
    first = register(intake, reported_persons=[PERSON])
    intake.accept(first.case_id, "accusation", actor=at("620102", "clerk"))
    repeat = register(intake, organ_code="6201", reporter=REPORTER, reported_persons=[PERSON])
    # The city's clerk links the report the city registered.
    intake.link_as_repeat(repeat.case_id, first.case_id, "同一人同一问题", actor=at("6201"))
    routing.send(HandlingEvents.OPENED, first.case_id, organ_code="620102")
    assert intake.progress(repeat.receipt_code)["stage"] == "in_handling"
    routing.send(HandlingEvents.CONCLUDED, first.case_id, outcome="party_sanction")
    seen = intake.progress(repeat.receipt_code)
    assert (seen["stage"], seen["result_zh"]) == ("concluded", "已办结:党纪处分")
    assert seen["received_on"] == "2024-06-01"


# --- concurrency 并发修改 -----------------------------------------------------------------


def test_a_stale_correction_is_refused_as_a_concurrent_update(intake: IntakeApplication) -> None:
    case = register(intake).case_id
    version = intake.petition(case, MONITOR)["version"]
    intake.correct(
        case, "补录", {"summary": "新摘要"}, actor=at("620102", "c"), expected_version=version
    )
    with pytest.raises(Conflict) as stale:
        intake.correct(
            case, "补录", {"summary": "再改"}, actor=at("620102", "c"), expected_version=version
        )
    assert stale.value.code == "concurrent_update"
    assert intake.petition(case, MONITOR)["summary"] == "新摘要"


def test_two_writers_racing_on_one_version_leave_one_winner(intake: IntakeApplication) -> None:
    case = register(intake).case_id
    mine = aggregates.get(intake, Petition, case, LookupError())  # type: ignore[arg-type]
    theirs = aggregates.get(intake, Petition, case, LookupError())  # type: ignore[arg-type]
    mine.accept("accusation", actor="a", at=datetime.now(UTC))
    theirs.divert("区住建局", "物业纠纷", actor="b", at=datetime.now(UTC))
    aggregates.save(intake, mine)
    with pytest.raises(Conflict) as lost:
        aggregates.save(intake, theirs)
    assert lost.value.code == "concurrent_update"
    assert intake.petition(case, MONITOR)["stage"] == "accepted"
