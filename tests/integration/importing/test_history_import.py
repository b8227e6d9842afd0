"""`baton import` against real PostgreSQL: imported reports become the live path's events
at their historical moments, in both stores, audited; a re-run changes nothing; bad lines
are reported with their number and the rest goes in; stats builds its facts from them."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError

from deploy.audit_cli import verify
from deploy.import_cli import import_file, open_importer
from domain.errors import Conflict
from domain.guards import CHINA_TZ
from domain.handling import Handling
from domain.petition import Petition, ReporterIdentity
from infra.settings import Settings
from services.importing.building import case_id_of
from services.importing.importer import Importer
from services.importing.parallel import import_in_parallel
from services.stats.application import StatsApplication
from services.stats.rebuild import rebuild

pytestmark = pytest.mark.integration

CITY, COUNTY = "6201", "620102"
T0 = datetime(2024, 2, 29, 9, 30, tzinfo=CHINA_TZ)  # a leap day, in Beijing time
IDENTITY = {"name": "张晓梅", "id_number": "620102198001011239", "phone": "13919876543"}


def line(source_id: str, screening: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "organ": COUNTY,
        "channel": "letter",
        "received_at": T0.isoformat(),
        "visitors": 1,
        "real_name": False,
        "reported_persons": [{"name": "王某", "unit": "某局", "cadre_level": "county_managed"}],
        "categories": ["integrity_discipline"],
        "key_fields": [],
        "summary": "反映某局长违规收受礼金",
        "screening": screening,
        **fields,
    }


CONCLUSION = {
    "disposal": "preliminary_verification",
    "outcome": "party_sanction",
    "substantiation": "true",
    "concluded_at": (T0 + timedelta(days=40)).isoformat(),
}
GOOD = [
    line("H-1", {"outcome": "accepted", "type": "accusation"}, conclusion=CONCLUSION,
         real_name=True, reporter=IDENTITY, channel="visit", visitors=3),
    line("H-2", {"outcome": "accepted", "type": "accusation"}, organ=CITY),
    line("H-3", {"outcome": "diverted", "department": "人社局"}, channel="web"),
    line("H-4", {"outcome": "not_accepted", "reason": "无实质内容"}, channel="phone"),
    # A repeat of a repeat, before its own first in the file: linked to H-1 in the end.
    line("H-5", {"outcome": "repeat", "first": "H-6"}),
    line("H-6", {"outcome": "repeat", "first": "H-1"}),
]
BAD = [
    ("{not json", "import_line_not_json"),
    (json.dumps(line("B-1", {"outcome": "accepted", "type": "accusation"}, channel="fax")),
     "vocabulary_unknown_code"),
    (json.dumps(line("H-2", {"outcome": "diverted", "department": "x"})),
     "import_source_id_duplicate"),
    (json.dumps(line("B-2", {"outcome": "repeat", "first": "NOWHERE"})),
     "import_repeat_first_unknown"),
    (json.dumps(line("B-3", {"outcome": "diverted", "department": "x"}, conclusion=CONCLUSION)),
     "import_conclusion_not_accepted"),
    (json.dumps(line("B-4", {"outcome": "repeat", "first": "H-3"})),
     "repeat_first_not_accepted"),
]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        baton_data_dir=tmp_path,
        baton_namespace=f"i{uuid.uuid4().hex[:8]}_",
    )


@pytest.fixture
def importer(settings: Settings) -> Iterator[Importer]:
    with open_importer(settings, batch=2) as opened:  # small batches: several transactions
        yield opened


def history_file(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    """The good and bad lines interleaved; the bad ones' line numbers and codes."""
    texts = [json.dumps(g, ensure_ascii=False) for g in GOOD]
    bad: dict[int, str] = {}
    for n, (text, _code) in enumerate(BAD):
        texts.insert(2 * n + 1, text)
    for number, text in enumerate(texts, start=1):
        for bad_text, code in BAD:
            if text == bad_text:
                bad[number] = code
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path, bad


def event_counts(database_url: str, schema: str, app: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        events = conn.execute(f'SELECT count(*) FROM "{schema}".{app}_events').fetchone()
        audit = conn.execute(f'SELECT count(*) FROM "{schema}".{app}_audit').fetchone()
    assert events is not None and audit is not None
    return int(events[0]), int(audit[0])


def test_history_becomes_the_live_events_once_and_bad_lines_are_named(
    importer: Importer, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    path, bad = history_file(tmp_path)
    with path.open(encoding="utf-8") as lines:
        report = importer.run(lines)

    assert {r.line: r.code for r in report.refused} == bad
    assert report.imported == len(GOOD) and report.already_there == 0
    assert report.lines == len(GOOD) + len(BAD)

    ids = {g["source_id"]: case_id_of(g["organ"], g["source_id"]) for g in GOOD}
    first = importer.intake.repository.get(ids["H-1"])
    assert isinstance(first, Petition)
    assert (first.imported, first.source_id, first.stage) == (True, "H-1", "concluded")
    assert first.registration_number == f"{COUNTY}-2024-000001"
    assert first.received_at == T0 and first.registered_at == T0 and first.screened_at == T0
    assert first.visitors == 3 and first.receipt_code_hash is None
    sealed = first.sealed_reporter
    assert sealed is not None and IDENTITY["name"] not in sealed
    assert importer.intake.sealer.open(sealed, first.id) == ReporterIdentity(**IDENTITY, address="")

    handling = importer.routing.repository.get(ids["H-1"])
    assert isinstance(handling, Handling)
    assert handling.custody[0].at == T0
    assert handling.conclusion is not None
    assert handling.conclusion["outcome"] == "party_sanction"
    assert [r["case_id"] for r in handling.repeats] == [str(ids["H-6"]), str(ids["H-5"])]
    for source in ("H-5", "H-6"):
        repeat = importer.intake.repository.get(ids[source])
        assert repeat.stage == "repeat" and repeat.first_case_id == str(ids["H-1"])
    assert importer.intake.repository.get(ids["H-4"]).stage == "not_accepted"
    assert importer.intake.repository.get(ids["H-3"]).diverted_to == "人社局"
    assert importer.routing.repository.get(ids["H-2"]).holder_organ == CITY

    # The audit recorder chained every imported event, in both stores.
    intake_events, intake_audit = event_counts(database_url, settings.schema_of("intake"),
                                               "intakeapplication")
    routing_events, routing_audit = event_counts(database_url, settings.schema_of("routing"),
                                                 "routingapplication")
    assert intake_events == intake_audit > len(GOOD)
    assert routing_events == routing_audit >= 2
    assert verify(settings, None, None, quiet=True) == 0  # `baton verify`

    # A re-run changes nothing and refuses the same lines.
    with path.open(encoding="utf-8") as lines:
        again = importer.run(lines)
    assert again.imported == 0 and again.already_there == len(GOOD)
    assert {r.line: r.code for r in again.refused} == bad
    assert event_counts(database_url, settings.schema_of("intake"), "intakeapplication") == (
        intake_events, intake_audit)
    assert event_counts(database_url, settings.schema_of("routing"), "routingapplication") == (
        routing_events, routing_audit)

    # Stats builds its facts from imported events like from live ones.
    stats = StatsApplication(database_url, settings.schema_of("stats"))
    try:
        stores = {"intake": importer.intake, "routing": importer.routing}
        rebuild(stats, stores, {s: settings.topic_of(s) for s in stores}, 1)
    finally:
        stats.close()
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f'SELECT case_id, scope, screening, is_repeat, visitors, received_on, outcome '
            f'FROM "{settings.schema_of("stats")}".case_fact'
        ).fetchall()
    facts = {uuid.UUID(r[0]): r[1:] for r in rows}
    assert set(facts) == set(ids.values())
    assert facts[ids["H-1"]] == ("in_scope", "accepted", False, 3, T0.date(), "party_sanction")
    assert facts[ids["H-3"]][:2] == ("out_of_scope", "diverted")
    assert facts[ids["H-5"]][:3] == ("in_scope", "repeat", True)


def test_the_command_prints_refused_lines_and_a_summary(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, bad = history_file(tmp_path)
    assert import_file(settings, path, quiet=True) == 1
    out = capsys.readouterr()
    for number, code in bad.items():
        assert f"line {number}: {code}:" in out.err
    assert f"{len(GOOD) + len(BAD)} lines: {len(GOOD)} imported, 0 already there" in out.out


def test_several_processes_import_the_same_file_to_the_same_result(
    settings: Settings, tmp_path: Path
) -> None:
    path, bad = history_file(tmp_path)
    factory = functools.partial(open_importer, settings)
    lines = path.read_text(encoding="utf-8").splitlines()
    report = import_in_parallel(factory, lines, 3)
    assert {r.line: r.code for r in report.refused} == bad
    assert (report.lines, report.imported, report.already_there) == (
        len(GOOD) + len(BAD), len(GOOD), 0)
    with open_importer(settings) as importer:
        for g in GOOD:
            case_id = case_id_of(g["organ"], g["source_id"])
            assert importer.intake.repository.get(case_id).source_id == g["source_id"]
        assert importer.routing.repository.get(case_id_of(COUNTY, "H-1")).repeats
    again = import_in_parallel(factory, lines, 2)
    assert (again.imported, again.already_there) == (0, len(GOOD))


def test_imported_batches_continue_the_live_audit_chain_and_notification_log(
    importer: Importer, settings: Settings, tmp_path: Path
) -> None:
    """Live saves before, between and after imported batches: one dense audit chain that
    `baton verify` accepts, and notification ids that only grow, store by store."""
    clerk = importer.importers.clerk(COUNTY)
    register = functools.partial(
        importer.intake.register, organ_code=COUNTY, actor=clerk, channel="letter",
        summary="反映某局长违规收受礼金", received_at=T0,
    )
    register()
    path, _bad = history_file(tmp_path)
    with path.open(encoding="utf-8") as lines:
        assert importer.run(lines).imported == len(GOOD)
    register()
    more = [json.dumps(line(f"M-{n}", {"outcome": "accepted", "type": "accusation"}))
            for n in range(5)]
    assert importer.run(more).imported == 5
    register()
    assert verify(settings, None, None, quiet=True) == 0
    for app in (importer.intake, importer.routing):
        ids = [n.id for n in app.recorder.select_notifications(start=1, limit=10_000)]
        assert ids == sorted(ids) and len(ids) == len(set(ids)) > 3


def test_a_run_cut_between_the_two_stores_resumes_without_doubling_a_handling(
    importer: Importer, settings: Settings, database_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Routing's transaction committed, intake's never happened (the process died between
    them): the next run writes the petitions and leaves the handlings as they are."""
    path, _bad = history_file(tmp_path)

    def died(rows: Any) -> list[int]:
        raise RuntimeError("the import process died here")

    with monkeypatch.context() as patched:
        patched.setattr(importer.intake_writer, "write", died)
        with path.open(encoding="utf-8") as lines, pytest.raises(RuntimeError):
            importer.run(lines)
    routing_before = event_counts(database_url, settings.schema_of("routing"),
                                  "routingapplication")
    assert routing_before[0] > 0
    assert event_counts(database_url, settings.schema_of("intake"), "intakeapplication") == (0, 0)

    with path.open(encoding="utf-8") as lines:
        again = importer.run(lines)
    assert again.imported == len(GOOD) and again.already_there == 0
    first = case_id_of(COUNTY, "H-1")
    handling = importer.routing.repository.get(first)
    assert [e.originator_version for e in importer.routing.repository.event_store.get(first)] \
        == list(range(1, handling.version + 1))
    assert handling.conclusion is not None and len(handling.repeats) == 2
    assert importer.intake.repository.get(first).stage == "concluded"
    assert verify(settings, None, None, quiet=True) == 0


def test_a_batch_holding_a_stored_version_writes_nothing_and_is_a_conflict(
    importer: Importer, settings: Settings, database_url: str,
) -> None:
    """The bulk writer's batch is one transaction: a version already stored (another
    import got there first) refuses the whole batch, its ids and audit rows included."""
    case_id = uuid.uuid4()
    topic = "domain.petition.aggregate:Petition.Registered"
    writer = importer.intake_writer
    first = writer.write([(case_id, 1, topic, b'{"n":1}')])
    assert len(first) == 1
    with pytest.raises(IntegrityError):
        writer.write([(uuid.uuid4(), 1, topic, b'{"n":2}'), (case_id, 1, topic, b'{"n":3}')])
    assert event_counts(database_url, settings.schema_of("intake"), "intakeapplication") == (1, 1)
    second = writer.write([(case_id, 2, topic, b'{"n":4}')])
    assert second[0] > first[0]
    assert verify(settings, ["intake"], None, quiet=True) == 0

    # The importer turns it into the platform's conflict, naming the case.
    organ_line = json.dumps(line("C-1", {"outcome": "diverted", "department": "人社局"}))
    clash = case_id_of(COUNTY, "C-1")
    writer.write([(clash, 1, topic, b'{"n":5}')])  # stored between the check and the write
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(Importer, "catch_up_index", lambda self: None)
        patched.setattr("services.importing.importer._Run.existing",
                        staticmethod(lambda app, ids: set()))
        with pytest.raises(Conflict) as refused:
            importer.run([organ_line])
    assert refused.value.code == "concurrent_update"
