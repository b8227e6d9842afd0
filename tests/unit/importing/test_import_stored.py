"""The bulk fast path stores the very bytes the aggregate path stores: for demo lines
covering every channel, screening outcome, conclusion, real name and repeat, and for the
lines the commands refuse, `stored.Encoder` and `building.build` + eventsourcing's mapper
give byte-equal stored events (same originator, version, topic and state) or the same
refusal, when both stamp the same `timestamp`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Mapper, StoredEvent

from domain.errors import DomainError
from domain.guards import CHINA_TZ
from domain.handling import Handling
from domain.petition import Petition
from domain.rules import Rules
from domain.vocabulary import KeyFieldCatalogue
from infra.reference_data import load_org_tree
from services.importing.building import Importers, build, case_id_of, link_repeat
from services.importing.demo import demo_lines
from services.importing.lines import REPEAT, HistoricalReport, parse_line
from services.importing.stored import Case, Encoder, Row
from services.intake.application import IntakeApplication
from services.intake.attachments import AttachmentStore
from services.intake.references import References
from services.intake.sealing import Sealer
from services.routing.application import RoutingApplication

TREE = load_org_tree()
REFERENCES = References(TREE, Rules.default(), KeyFieldCatalogue.default())
NOW = datetime(2026, 1, 2, tzinfo=CHINA_TZ)
STAMP = datetime(2026, 12, 4, 18, 53, 31, 66279, tzinfo=UTC)
RECEIVED = datetime(2025, 5, 6, 9, 30, tzinfo=CHINA_TZ)
IMPORTERS = Importers("import")


def extra_lines() -> Iterator[str]:
    """What the demo does not make: explanations and reasons given or left out, a repeat of
    a repeat, repeats of refused or diverted firsts, a refused conclusion, a conduct date."""
    def line(source_id: str, screening: dict[str, Any], **fields: Any) -> str:
        return json.dumps({
            "source_id": source_id, "organ": "620102", "channel": "visit",
            "received_at": RECEIVED.isoformat(), "visitors": 2, "real_name": False,
            "reported_persons": [{"name": "王某", "unit": "某局"}],
            "categories": ["integrity_discipline", "mass_discipline"],
            "key_fields": [], "summary": "  反映某局长\t违规收受礼金 \"引号\" \\ ",
            "screening": screening,
            **fields,
        }, ensure_ascii=False)

    concluded = (RECEIVED + timedelta(days=3)).isoformat()
    yield line("X-1", {"outcome": "accepted", "type": "appeal"}, conclusion={
        "disposal": "preliminary_verification", "outcome": "name_cleared",
        "substantiation": "untrue", "concluded_at": concluded})
    yield line("X-2", {"outcome": "diverted", "department": " 法院 "})
    yield line("X-3", {"outcome": "repeat", "first": "X-4", "reason": "同一事项"})
    yield line("X-4", {"outcome": "repeat", "first": "X-1"})
    yield line("X-5", {"outcome": "repeat", "first": "X-2"})  # refused: diverted first
    yield line("X-6", {"outcome": "accepted", "type": "accusation"}, conclusion={
        "disposal": "inquiry", "outcome": "party_sanction", "substantiation": "untrue",
        "concluded_at": concluded})  # refused: a sanction needs truth
    yield line("X-7", {"outcome": "repeat", "first": "X-6"})  # its first was refused
    yield line("X-8", {"outcome": "not_accepted", "reason": "无实质内容"}, real_name=True,
               reporter={"name": "张三", "id_number": "620102198001011239",
                         "phone": "13919876543", "address": "兰州"})


def reports() -> list[HistoricalReport]:
    lines = [*demo_lines(TREE, seed=11, cases=600, until=date(2026, 1, 1)), *extra_lines()]
    return [parse_line(text, n, REFERENCES, NOW) for n, text in enumerate(lines, start=1)]


@pytest.fixture
def mappers() -> Iterator[tuple[Mapper[Any], Mapper[Any]]]:
    intake = IntakeApplication(sealer=Sealer(os.urandom(32)), org_tree=TREE,
                               attachments=AttachmentStore.__new__(AttachmentStore))
    routing = RoutingApplication(TREE)
    yield intake.mapper, routing.mapper
    intake.close()
    routing.close()


def sealed_of(report: HistoricalReport) -> str | None:
    # Sealing draws a random nonce: both paths are given the same ciphertext.
    return f"sealed:{report.source_id}" if report.reporter is not None else None


def number_of(report: HistoricalReport) -> str:
    return f"{report.organ}-2025-{report.line:06d}"


def aggregate_path(
    reports: list[HistoricalReport], mappers: tuple[Mapper[Any], Mapper[Any]]
) -> tuple[list[Row], list[Row], dict[int, str]]:
    """`Importer`'s old way: commands, then eventsourcing's mapper; refusals by line."""
    petitions: dict[UUID, Petition] = {}
    handlings: dict[UUID, Handling] = {}
    refused: dict[int, str] = {}
    ordered = [r for r in reports if r.screening.outcome != REPEAT]
    repeats = [r for r in reports if r.screening.outcome == REPEAT]
    for report in ordered:
        case_id = case_id_of(report.organ, report.source_id)
        try:
            built = build(report, case_id, number_of(report), sealed_of(report), IMPORTERS)
        except DomainError as error:
            refused[report.line] = error.code
            continue
        petitions[case_id] = built.petition
        if built.handling is not None:
            handlings[case_id] = built.handling
    while repeats:
        waiting = []
        for report in repeats:
            first_id = case_id_of(report.organ, report.screening.detail)
            if first_id not in petitions:
                waiting.append(report)
                continue
            case_id = case_id_of(report.organ, report.source_id)
            first = petitions[first_id]
            try:
                built = build(report, case_id, number_of(report), sealed_of(report), IMPORTERS)
                root = UUID(first.first_case_id or str(first.id))
                link_repeat(built, first, handlings.get(root), IMPORTERS)
            except DomainError as error:
                refused[report.line] = error.code
                continue
            petitions[case_id] = built.petition
        if len(waiting) == len(repeats):
            break
        repeats = waiting
    intake, routing = mappers
    intake_rows = [stored(intake, e) for p in petitions.values() for e in p.collect_events()]
    routing_rows = [stored(routing, e) for h in handlings.values() for e in h.collect_events()]
    return intake_rows, routing_rows, refused


def stored(mapper: Mapper[Any], event: Any) -> Row:
    s = mapper.to_stored_event(event)
    return s.originator_id, s.originator_version, s.topic, s.state


def fast_path(reports: list[HistoricalReport]) -> tuple[list[Row], list[Row], dict[int, str]]:
    encoder = Encoder(IMPORTERS, STAMP)
    cases: dict[UUID, Case] = {}
    intake: list[Row] = []
    routing: list[Row] = []
    refused: dict[int, str] = {}
    repeats = [r for r in reports if r.screening.outcome == REPEAT]
    for report in reports:
        if report.screening.outcome == REPEAT:
            continue
        case_id = case_id_of(report.organ, report.source_id)
        try:
            petition, handling, case = encoder.case(
                report, case_id, number_of(report), sealed_of(report))
        except DomainError as error:
            refused[report.line] = error.code
            continue
        intake += petition
        routing += handling
        cases[case_id] = case
    while repeats:
        waiting = []
        for report in repeats:
            first_id = case_id_of(report.organ, report.screening.detail)
            if first_id not in cases:
                waiting.append(report)
                continue
            case_id = case_id_of(report.organ, report.source_id)
            try:
                rows, root_id, case = encoder.repeat(
                    report, case_id, number_of(report), sealed_of(report), cases[first_id],
                    first_id)
            except DomainError as error:
                refused[report.line] = error.code
                continue
            intake += rows
            linked = encoder.repeat_linked(cases[UUID(root_id)], UUID(root_id), report, case_id)
            if linked is not None:
                routing.append(linked)
            cases[case_id] = case
        if len(waiting) == len(repeats):
            break
        repeats = waiting
    return intake, routing, refused


def test_the_fast_path_stores_the_aggregate_paths_bytes(
    mappers: tuple[Mapper[Any], Mapper[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", lambda: STAMP)
    sample = reports()
    outcomes = {(r.screening.outcome, r.conclusion is not None, r.reporter is not None)
                for r in sample}
    assert len(outcomes) >= 8  # every outcome, with and without conclusion and identity

    slow_intake, slow_routing, slow_refused = aggregate_path(sample, mappers)
    fast_intake, fast_routing, fast_refused = fast_path(sample)

    assert fast_refused == slow_refused
    assert set(fast_refused.values()) == {"repeat_first_not_accepted", "conclusion_inconsistent"}
    key = sorted  # by originator, then version
    assert key(fast_intake) == key(slow_intake)
    assert key(fast_routing) == key(slow_routing)
    topics = {row[2].rsplit(".", 1)[1] for row in fast_intake + fast_routing}
    assert {"Registered", "Accepted", "HandlingStarted", "ResultPublished", "Diverted",
            "NotAcceptProposed", "NotAccepted", "LinkedAsRepeat", "Opened",
            "DisposalDecided", "Concluded", "RepeatLinked"} <= topics
    # Every stored state decodes through the store's own mapper to its event.
    intake, routing = mappers
    for mapper, rows in ((intake, fast_intake), (routing, fast_routing)):
        for originator_id, version, topic, state in rows:
            event = mapper.to_domain_event(StoredEvent(originator_id, version, topic, state))
            assert event.originator_version == version and event.timestamp == STAMP
