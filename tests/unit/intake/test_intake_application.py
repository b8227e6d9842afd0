"""Intake use cases in memory, and the pieces they are built from."""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from domain.errors import Conflict, InvalidInput, NotFound, TooMany
from domain.hierarchy import OrgTree
from domain.petition import ReporterIdentity
from services.intake.application import IntakeApplication
from services.intake.attachments import AttachmentStore
from services.intake.ratelimit import TokenBuckets
from services.intake.repeats import candidates
from services.intake.sealing import (
    SealedDataUnreadable,
    Sealer,
    check_receipt_code_form,
    normalise_receipt_code,
)
from tests.actors import MONITOR
from tests.org_codes import SMALL_TREE
from tests.unit.intake.support import at, intake_in_memory

ORGS = OrgTree.from_records(SMALL_TREE)
REPORTER = ReporterIdentity.create("张晓梅", "620102198001011239", "13919876543", "兰州")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2024, 12, 31, 15, 0, tzinfo=UTC))


@pytest.fixture
def intake(tmp_path: Path, clock: Clock) -> IntakeApplication:
    return intake_in_memory(tmp_path, ORGS, clock)


def register(intake: IntakeApplication, **fields: Any) -> Any:
    base: dict[str, Any] = {
        "organ_code": "6201",
        "channel": "letter",
        "summary": "反映某局长违规收受礼金",
        "received_at": datetime(2024, 12, 20, tzinfo=UTC),
    }
    merged = {**base, **fields}
    merged.setdefault("actor", at(merged["organ_code"]))
    return intake.register(**merged)


def test_a_real_name_letter_from_registration_to_public_result(
    intake: IntakeApplication, clock: Clock
) -> None:
    first = register(intake, reporter=REPORTER, reported_persons=[{"name": "王某"}])
    # 15:00 UTC on 31 December is already 1 January in Beijing.
    assert first.registration_number == "6201-2024-000001"
    clock.now += timedelta(hours=1)
    second = register(intake, channel="web")
    assert second.registration_number == "6201-2025-000001"
    assert first.receipt_code and second.receipt_code
    assert register(intake, channel="phone").receipt_code is None

    assert intake.progress(first.receipt_code)["stage"] == "received"
    intake.accept(first.case_id, "accusation", actor=at("6201", "clerk"))
    assert intake.note_handling_started(first.case_id, actor=at("6201", "routing"))
    assert not intake.note_handling_started(first.case_id, actor=at("6201", "routing"))
    intake.publish_result(first.case_id, "已处理", "Handled", actor=at("6201", "routing"))
    seen = intake.progress(first.receipt_code.lower().replace("-", ""))
    assert (seen["stage"], seen["result_zh"]) == ("concluded", "已处理")
    assert intake.reveal_reporter(first.case_id, "核实", actor=at("6201", "clerk")) == REPORTER
    assert "张晓梅" not in str(intake.petition(first.case_id, MONITOR))


def test_refusals_use_stable_codes(intake: IntakeApplication, clock: Clock) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"organ_code": "99"}, "organ_unknown"),
        ({"received_at": datetime(2024, 1, 1)}, "datetime_without_timezone"),
        ({"key_fields": ["astrology"]}, "key_field_unknown"),
        ({"channel": "upper_handover", "handed_over_from": "620102"}, "handover_source_not_upper"),
        ({"conduct_date": date(2030, 1, 1)}, "conduct_date_in_future"),
        (
            {"conduct_date": date(2016, 1, 1), "conduct_period": "after_cutoff"},
            "conduct_period_contradicts_date",
        ),
    ]
    for fields, code in cases:
        with pytest.raises(InvalidInput) as error:
            register(intake, **fields)
        assert error.value.code == code
    petition = register(intake, conduct_date=date(2016, 1, 1), conduct_period="before_cutoff")
    assert intake.petition(petition.case_id, MONITOR)["conduct_period"] == "before_cutoff"
    assert petition.registration_number.endswith("000001")  # refusals took no number
    with pytest.raises(NotFound) as missing:
        intake.accept(uuid4(), "accusation", actor=at("6201", "clerk"))
    assert missing.value.code == "petition_unknown"
    with pytest.raises(InvalidInput):
        intake.notify_acceptance(
            petition.case_id, "sms", datetime(2024, 1, 1), actor=at("6201", "c")
        )
    with pytest.raises(InvalidInput):
        intake.correct(
            petition.case_id, "r", {"received_at": datetime(2024, 1, 1)}, actor=at("6201", "c")
        )


def test_corrections_derive_the_conduct_period_and_ignore_the_same_identity(
    intake: IntakeApplication,
) -> None:
    case = register(intake, reporter=REPORTER).case_id
    assert intake.correct(case, "r", {"conduct_date": date(2016, 1, 1)}, actor=at("6201", "c")) == [
        "conduct_date",
        "conduct_period",
    ]
    assert intake.petition(case, MONITOR)["conduct_period"] == "before_cutoff"
    assert intake.correct(
        case, "r", {"conduct_period": "unknown", "conduct_date": None}, actor=at("6201", "c")
    ) == ["conduct_date", "conduct_period"]
    with pytest.raises(InvalidInput) as error:
        intake.correct(case, "r", {}, actor=at("6201", "c"), reporter=REPORTER)
    assert error.value.code == "correction_changes_nothing"
    changed = intake.correct(
        case,
        "r",
        {"reported_persons": [{"name": "王某"}], "key_fields": ["finance"]},
        actor=at("6201", "c"),
    )
    assert changed == ["key_fields", "reported_persons"]


def test_repeat_candidates_come_from_the_index(intake: IntakeApplication) -> None:
    person = {"name": "李建国", "unit": "某镇政府"}
    first = register(intake, reported_persons=[person], categories=["work_discipline"]).case_id
    intake.accept(first, "accusation", actor=at("6201", "c"))
    other = register(intake, reported_persons=[{"name": "李建国", "unit": "别的单位"}]).case_id
    intake.accept(other, "accusation", actor=at("6201", "c"))
    later = register(intake, reported_persons=[person], categories=["work_discipline"]).case_id
    found = intake.repeat_candidates(later, MONITOR)
    # Same name, different unit and no category yet still reaches the domain's threshold:
    # it is shown lower down, for the clerk to judge.
    assert [c.case_id for c in found] == [str(first), str(other)]
    assert [c.score for c in found] == [1.0, 0.55]
    assert "工作单位不同" in found[1].reason_zh and "different unit" in found[1].reason_en
    intake.correct(
        first, "r", {"summary": "新摘要", "categories": ["other"]}, actor=at("6201", "c")
    )
    assert intake.repeat_candidates(later, MONITOR)[0].summary == "新摘要"
    assert intake.link_as_repeat(later, first, "同一问题", actor=at("6201", "c")) == str(first)
    with pytest.raises(NotFound) as error:
        intake.link_as_repeat(other, uuid4(), "x", actor=at("6201", "c"))
    assert error.value.code == "first_case_unknown"


def test_substance_hint_is_given_but_never_blocks(intake: IntakeApplication) -> None:
    bare = register(intake, summary="反映张某违纪", reported_persons=[{"name": "张某"}])
    assert bare.substance_hint is not None
    assert bare.substance_hint["missing"] == ["time", "place", "amount", "act"]
    assert intake.petition(bare.case_id, MONITOR)["substance_hint"] == bare.substance_hint
    intake.accept(
        bare.case_id, "accusation", actor=at("6201", "c")
    )  # the clerk may still accept it
    plain = register(intake)  # "反映某局长违规收受礼金" names a concrete act
    assert plain.substance_hint is None
    assert intake.petition(plain.case_id, MONITOR)["substance_hint"] is None


def test_attachments_are_stored_once_and_refused_whole(
    intake: IntakeApplication, tmp_path: Path
) -> None:
    case = register(intake).case_id
    pdf = b"%PDF-1.4 " + b"x" * 100
    stored = intake.add_attachment(
        case, io.BytesIO(pdf), "application/pdf", "letter_scan", actor=at("6201", "c")
    )
    assert stored.added and stored.size == len(pdf)
    again = intake.add_attachment(
        case, io.BytesIO(pdf), "application/pdf; q=1", "document", actor=at("6201", "c")
    )
    assert not again.added
    handle, media_type = intake.open_attachment(case, stored.sha256, at("6201"))
    with handle:
        assert handle.read() == pdf and media_type == "application/pdf"
    for content, media_type, kind, code in [
        (b"%PDF-" + b"x" * 1000, "application/pdf", "document", "attachment_too_large"),
        (pdf, "application/zip", "document", "attachment_type_refused"),
        (pdf, "application/pdf", "video", "attachment_kind_unknown"),
    ]:
        with pytest.raises(InvalidInput) as error:
            intake.add_attachment(
                case, io.BytesIO(content), media_type, kind, actor=at("6201", "c")
            )
        assert error.value.code == code
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert len(files) == 1
    with pytest.raises(NotFound):
        intake.open_attachment(case, "0" * 64, at("6201"))
    with pytest.raises(NotFound):
        intake.attachments.open("0" * 64)


def test_progress_refuses_unknown_and_orphaned_codes(intake: IntakeApplication) -> None:
    with pytest.raises(InvalidInput) as malformed:
        intake.progress("hello")
    assert malformed.value.code == "receipt_code_malformed"
    code = intake.sealer.new_receipt_code()
    with pytest.raises(NotFound):
        intake.progress(code)
    # A code stored before a registration that then failed answers like a wrong one.
    intake.side.put_receipt(intake.sealer.receipt_hash(code), uuid4())
    with pytest.raises(NotFound) as orphan:
        intake.progress(code)
    assert orphan.value.code == "receipt_code_unknown"


def test_progress_is_padded_to_its_minimum_time(tmp_path: Path) -> None:
    padded = IntakeApplication(
        sealer=Sealer(os.urandom(32)),
        org_tree=ORGS,
        attachments=AttachmentStore(tmp_path, key=bytes(32)),
        min_answer_seconds=0.05,
    )
    import time

    started = time.monotonic()
    with pytest.raises(NotFound):
        padded.progress(padded.sealer.new_receipt_code())
    assert time.monotonic() - started >= 0.05


def test_a_sealed_identity_opens_only_for_its_case_and_key() -> None:
    sealer, case = Sealer(os.urandom(32)), uuid4()
    sealed = sealer.seal(REPORTER, case)
    assert sealed.startswith("v1.") and "张" not in sealed and "139" not in sealed
    assert sealer.open(sealed, case) == REPORTER
    assert sealer.seal(REPORTER, case) != sealed  # a fresh nonce every time
    for bad in (
        lambda: sealer.open(sealed, uuid4()),
        lambda: Sealer(os.urandom(32)).open(sealed, case),
        lambda: sealer.open("v2." + sealed[3:], case),
        lambda: sealer.open("v1.!!!", case),
    ):
        with pytest.raises(SealedDataUnreadable):
            bad()
    with pytest.raises(ValueError):
        Sealer(b"short")
    assert "key" in repr(sealer) and repr(REPORTER) == "ReporterIdentity(<sealed>)"


def test_the_identity_cannot_be_read_with_another_key(intake: IntakeApplication) -> None:
    case = register(intake, reporter=REPORTER).case_id
    intake.sealer = Sealer(os.urandom(32))
    with pytest.raises(Conflict) as error:
        intake.reveal_reporter(case, "核实", actor=at("6201", "c"))
    assert error.value.code == "reporter_identity_unreadable"


def test_receipt_codes_are_long_random_and_normalised() -> None:
    sealer = Sealer(os.urandom(32))
    codes = {sealer.new_receipt_code() for _ in range(100)}
    assert len(codes) == 100
    code = codes.pop()
    assert len(normalise_receipt_code(code)) * 5 == 120
    check_receipt_code_form(code.lower())
    assert sealer.receipt_hash(code) == sealer.receipt_hash(code.lower().replace("-", " "))
    assert sealer.receipt_hash(code) != Sealer(os.urandom(32)).receipt_hash(code)
    with pytest.raises(InvalidInput):
        check_receipt_code_form("0" * 24)


def test_a_token_bucket_per_client_refills_over_time() -> None:
    now = [0.0]
    buckets = TokenBuckets(capacity=2, per_second=0.5, max_keys=2, clock=lambda: now[0])
    buckets.take("a")
    buckets.take("a")
    with pytest.raises(TooMany) as error:
        buckets.take("a")
    assert error.value.code == "rate_limited" and error.value.details["retry_after_seconds"]
    buckets.take("b")
    now[0] = 2.0
    buckets.take("a")
    buckets.take("c")  # forgets the least recently seen client
    assert len(buckets._buckets) == 2
    never = TokenBuckets(capacity=0, per_second=0)
    with pytest.raises(TooMany) as refused:
        never.take("x")
    assert refused.value.details["retry_after_seconds"] is None


def test_repeat_scores_need_the_same_person() -> None:
    def row(case: str, persons: list[dict[str, str]], categories: list[str], **kw: Any) -> Any:
        return {
            "case_id": case,
            "registration_number": f"n-{case}",
            "organ_code": "6201",
            "summary": "s",
            "stage": kw.get("stage", "accepted"),
            "registered_at": kw.get("at", "2024-01-01"),
            "persons": persons,
            "categories": categories,
        }

    me = row("me", [{"name": "王 某", "unit": ""}], ["other"], stage="received", at="2024-02-01")
    others = [
        row("a", [{"name": "王某", "unit": "局"}], ["other"]),
        row("b", [{"name": "王某", "unit": "局"}], [], stage="diverted"),
        row("c", [{"name": "赵某", "unit": ""}], ["other"]),
        row("d", [{"name": "王某", "unit": ""}], [], at="2024-03-01"),
        row("e", [{"name": "王某", "unit": ""}], []),
        me,
    ]
    found = candidates(me, others, min_score=0.5)
    # domain.repeats: name 0.5, unit unknown on one side 0.1, same category 0.2 (or 0.05
    # when one side has none); diverted, later and other-person cases are never shown.
    assert [(c.case_id, c.score) for c in found] == [("a", 0.8), ("e", 0.65)]
    assert "类别" in found[0].reason_zh and "category" in found[0].reason_en
    assert [c.case_id for c in candidates(me, others, min_score=0.7)] == ["a"]


def test_repeat_candidates_see_through_traditional_characters_and_full_width(
    tmp_path: Path, clock: Clock
) -> None:
    from domain.repeats import TextNormaliser
    from infra.chinese_text import traditional_to_simplified_map

    intake = IntakeApplication(
        sealer=Sealer(os.urandom(32)),
        org_tree=ORGS,
        attachments=AttachmentStore(tmp_path / "files", key=bytes(32), max_bytes=1000),
        clock=clock,
        min_answer_seconds=0,
        normaliser=TextNormaliser(traditional_to_simplified_map()),
    )
    first = register(
        intake,
        reported_persons=[{"name": "欧阳建国", "unit": "榆中县第2中学"}],
        categories=["integrity_discipline"],
    ).case_id
    intake.accept(first, "accusation", actor=at("6201", "c"))
    # 歐/陽 are not in the domain's small built-in table: only the injected map folds them.
    later = register(
        intake,
        reported_persons=[{"name": "歐陽　建國", "unit": "榆中縣第２中學"}],
        categories=["integrity_discipline"],
    ).case_id
    found = intake.repeat_candidates(later, MONITOR)
    assert [(c.case_id, c.score) for c in found] == [(str(first), 1.0)]
    assert "工作单位相同" in found[0].reason_zh and "same unit" in found[0].reason_en
    # The domain's default table alone does not know 歐陽, so the injection matters.
    assert TextNormaliser().normalise("歐陽") != TextNormaliser().normalise("欧阳")


def test_routing_events_move_the_public_progress_exactly_once(intake: IntakeApplication) -> None:
    from domain.contracts import Envelope, HandlingEvents

    case = register(intake, channel="web")
    other = register(intake, channel="web")
    intake.accept(case.case_id, "accusation", actor=at("6201", "c"))
    intake.divert(other.case_id, "区住建局", "物业纠纷", actor=at("6201", "c"))
    track = "routing.events#0"

    def envelope(n: int, kind: str, case_id: Any, **payload: Any) -> Envelope:
        return Envelope(
            event_id=str(uuid4()),
            type=kind,
            case_id=str(case_id),
            sequence=n,
            organ_code="6201",
            actor="handler.wu",
            occurred_at="",
            source="routing",
            payload=payload,
            notification_id=n,
        )

    intake.handle_routing_event(envelope(1, HandlingEvents.OPENED, case.case_id), track)
    assert intake.progress(case.receipt_code)["stage"] == "in_handling"
    version = intake.petition(case.case_id, MONITOR)["version"]
    intake.handle_routing_event(envelope(1, HandlingEvents.OPENED, case.case_id), track)  # again
    intake.handle_routing_event(envelope(2, HandlingEvents.OPENED, "not-a-uuid"), track)
    intake.handle_routing_event(envelope(3, HandlingEvents.OPENED, other.case_id), track)
    assert intake.petition(case.case_id, MONITOR)["version"] == version
    assert intake.progress(other.receipt_code)["stage"] == "diverted"
    intake.handle_routing_event(
        envelope(
            4, HandlingEvents.CONCLUDED, case.case_id, outcome="party_sanction", findings="秘"
        ),
        track,
    )
    seen = intake.progress(case.receipt_code)
    assert (seen["stage"], seen["result_en"]) == ("concluded", "Concluded: Party sanction")
    assert "秘" not in str(seen)
    intake.handle_routing_event(envelope(5, HandlingEvents.CONCLUDED, case.case_id), track)
    assert intake.progress(case.receipt_code)["result_zh"] == "已办结"
    assert intake.tracked_position(track) == 5
