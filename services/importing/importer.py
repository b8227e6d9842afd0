"""Write a history file into intake's and routing's event stores, a batch at a time.

Each batch's stored events are built directly (`stored.Encoder`, byte-equal to what the
aggregates' commands and the stores' mapper give) and written with one binary COPY per
store and transaction, their audit rows chained as the audited recorder chains them
(`infra.bulk`); routing's handlings go first, so that when intake's relay publishes
`Accepted` or `LinkedAsRepeat` routing's consumer finds the handling already there and
adds nothing. Case ids are stable (`case_id_of`) and a case already stored is skipped, so
a re-run changes nothing, and a run cut short resumes where it stopped. Repeats 重复举报
are linked after every other line, in the order of their chains, to a first case from
this file or an earlier import. One thread writes a batch while the next is encoded.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from psycopg.sql import SQL, Identifier

from domain.errors import DomainError, InvalidInput
from domain.guards import CHINA_TZ
from domain.handling import Handling
from domain.petition import Petition, Stage, registration_number
from infra import aggregates
from infra.aggregates import concurrent_update
from infra.audit.recorder import AuditedProcessRecorder
from infra.bulk import BulkWriter, Row
from infra.eventstore import ServiceApplication
from services.importing.building import Importers, case_id_of
from services.importing.lines import REPEAT, HistoricalReport, LineRefused, parse_line
from services.importing.stored import Case, Encoder
from services.intake.application import IntakeApplication
from services.intake.index import catch_up_index
from services.routing.application import RoutingApplication

__all__ = ["DEFAULT_BATCH", "ImportReport", "Importer", "duplicate"]

DEFAULT_BATCH = 1000
Progress = Callable[[int], None]
"""progress(lines done since the last call)."""


@dataclass
class ImportReport:
    """What a run did: lines read, cases written, cases already there, lines refused."""

    lines: int = 0
    imported: int = 0
    already_there: int = 0
    refused: list[LineRefused] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class _Batch:
    """A batch's stored events, per store, and its cases."""

    reports: list[HistoricalReport] = field(default_factory=list)
    cases: list[UUID] = field(default_factory=list)
    states: list[Case] = field(default_factory=list)
    opened: list[UUID] = field(default_factory=list)  # the cases whose handling opens here
    intake: list[Row] = field(default_factory=list)
    routing: list[Row] = field(default_factory=list)

    def add(
        self,
        report: HistoricalReport,
        case_id: UUID,
        state: Case,
        petition: list[Row],
        handling: list[Row],
        linked: Row | None = None,
    ) -> None:
        self.reports.append(report)
        self.cases.append(case_id)
        self.states.append(state)
        self.intake.extend(petition)
        if handling:
            self.opened.append(case_id)
            self.routing.extend(handling)
        if linked is not None:
            self.routing.append(linked)


class Importer:
    """Imports history into the stores of these two applications (the runtime role's)."""

    def __init__(
        self,
        intake: IntakeApplication,
        routing: RoutingApplication,
        *,
        importers: Importers | None = None,
        batch_size: int = DEFAULT_BATCH,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.intake = intake
        self.routing = routing
        self.importers = importers or Importers()
        self.batch_size = batch_size
        self.clock = clock or (lambda: datetime.now(UTC))
        self.intake_writer = BulkWriter(_audited(intake))
        self.routing_writer = BulkWriter(_audited(routing))

    def catch_up_index(self) -> None:
        """Bring intake's petition index up to its store (as intake's next save would)."""
        catch_up_index(self.intake, self.intake.side)

    def has_history(self) -> bool:
        """Whether intake's store holds any event at all (live or imported)."""
        return bool(self.intake.recorder.max_notification_id())

    def run(
        self, lines: Iterable[str], progress: Progress | None = None, *, index: bool = True
    ) -> ImportReport:
        """Import every good line; refused lines are reported with their number.

        With `index`, intake's petition index (repeat candidates) is brought up to date
        after, so the running service's next request does not have to.
        """
        return self.run_numbered(enumerate(lines, start=1), progress, index=index)

    def run_numbered(
        self,
        lines: Iterable[tuple[int, str]],
        progress: Progress | None = None,
        *,
        index: bool = True,
    ) -> ImportReport:
        """`run` for lines that carry their own numbers (a share of a file)."""
        started = time.perf_counter()
        run = _Run(self, progress or (lambda n: None))
        try:
            batch: list[HistoricalReport] = []
            for report in run.parse(lines):
                if report.screening.outcome == REPEAT:
                    run.repeats.append(report)
                    continue
                batch.append(report)
                if len(batch) >= self.batch_size:
                    run.write(batch)
                    batch = []
            run.write(batch)
            run.drain()
            run.write_repeats()
            run.drain()
        finally:
            run.writing.shutdown(wait=True)
        if index:
            self.catch_up_index()
        run.report.seconds = time.perf_counter() - started
        run.report.refused.sort(key=lambda r: r.line)
        return run.report


class _Run:
    """One run of the importer: its report, the repeats held back, the cases it stored."""

    def __init__(self, importer: Importer, progress: Progress) -> None:
        self.importer = importer
        self.intake = importer.intake
        self.routing = importer.routing
        self.progress = progress
        self.report = ImportReport()
        self.repeats: list[HistoricalReport] = []
        self.lines_of: dict[str, int] = {}  # source_id → its line
        self.refused_sources: set[str] = set()
        self.settled: set[str] = set()  # source_ids stored, found stored, or refused
        self.cases: dict[UUID, Case] = {}
        # One thread writes a batch while the next one is parsed and encoded: the writes
        # stay in order (one at a time, routing's then intake's), PostgreSQL works while
        # this process computes.
        self.writing = ThreadPoolExecutor(1, thread_name_prefix="import-writer")
        self.pending: Future[None] | None = None

    # --- reading ---------------------------------------------------------------------

    def parse(self, lines: Iterable[tuple[int, str]]) -> Iterator[HistoricalReport]:
        now = self.importer.clock()
        references = self.intake.references
        for number, text in lines:
            if not text.strip():
                continue  # blank lines (a trailing newline) are not reports
            self.report.lines += 1
            try:
                report = parse_line(text, number, references, now)
            except LineRefused as refused:
                self.refuse(refused)
                continue
            if report.source_id in self.lines_of:
                self.refuse(LineRefused(number, duplicate(self.lines_of[report.source_id])))
                continue
            self.lines_of[report.source_id] = number
            yield report

    def refuse(self, refused: LineRefused, source_id: str | None = None) -> None:
        self.report.refused.append(refused)
        if source_id is not None:
            self.refused_sources.add(source_id)
            self.settled.add(source_id)
        self.progress(1)

    # --- writing ---------------------------------------------------------------------

    def encoder(self) -> Encoder:
        """The batch's encoder: its events are stamped with the moment it is written."""
        return Encoder(self.importer.importers, self.importer.clock().astimezone(UTC))

    def write(self, reports: list[HistoricalReport]) -> None:
        """Register, screen and handle a batch of reports (no repeats) and store them."""
        fresh = self.fresh(reports)
        numbers = self.numbers(fresh)
        encoder = self.encoder()
        batch = _Batch()
        for case_id, report in fresh:
            try:
                petition, handling, case = encoder.case(
                    report, case_id, next(numbers[_year_key(report)]), self.seal(report, case_id)
                )
            except DomainError as error:
                self.refuse(LineRefused(report.line, error), report.source_id)
                continue
            batch.add(report, case_id, case, petition, handling)
        self.store(batch)

    def write_repeats(self) -> None:
        """Link the repeats, each once its first is stored (chains in order)."""
        pending = self.repeats
        repeat_sources = {r.source_id for r in pending}
        while pending:
            ready, waiting = [], []
            for report in pending:
                state = self.first_state(report, repeat_sources)
                if state == "ready":
                    ready.append(report)
                elif state == "waiting":
                    waiting.append(report)
            if not ready:  # what is left waits on itself: a cycle of repeats
                for report in waiting:
                    self.refuse(LineRefused(report.line, _cycle()), report.source_id)
                return
            for start in range(0, len(ready), self.importer.batch_size):
                self.write_repeat_batch(ready[start : start + self.importer.batch_size])
            pending = waiting

    def first_state(self, report: HistoricalReport, repeat_sources: set[str]) -> str:
        """'ready', 'waiting' (its first is a repeat not stored yet) or 'refused'."""
        first = report.screening.detail
        if first == report.source_id:
            self.refuse(LineRefused(report.line, _first_is_itself()), report.source_id)
            return "refused"
        if first in self.refused_sources:
            self.refuse(LineRefused(report.line, _first_refused(first)), report.source_id)
            return "refused"
        if first in repeat_sources and first not in self.settled:
            return "waiting"
        return "ready"

    def write_repeat_batch(self, reports: list[HistoricalReport]) -> None:
        fresh = self.fresh(reports)
        numbers = self.numbers(fresh)
        encoder = self.encoder()
        batch = _Batch()
        for case_id, report in fresh:
            first_id = case_id_of(report.organ, report.screening.detail)
            try:
                first = self.case(first_id)
                if first is None:
                    raise _first_unknown(report.screening.detail)
                petition, root_id, case = encoder.repeat(
                    report, case_id, next(numbers[_year_key(report)]),
                    self.seal(report, case_id), first, first_id,
                )
                root = self.case(UUID(root_id))
                linked = None
                if root is not None:
                    linked = encoder.repeat_linked(root, UUID(root_id), report, case_id)
            except DomainError as error:
                self.refuse(LineRefused(report.line, error), report.source_id)
                continue
            batch.add(report, case_id, case, petition, [], linked)
        self.store(batch)

    def store(self, batch: _Batch) -> None:
        """Hand the batch to the writer thread, once it has written the one before."""
        self.drain()
        for report, case_id, case in zip(batch.reports, batch.cases, batch.states, strict=True):
            self.settled.add(report.source_id)
            if case.stage in Stage.HANDLED or case.stage == Stage.REPEAT:
                self.cases[case_id] = case
        self.report.imported += len(batch.reports)
        self.pending = self.writing.submit(self.write_stores, batch)

    def drain(self) -> None:
        """Wait for the batch being written (its failure is raised here)."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def write_stores(self, batch: _Batch) -> None:
        """Routing's handlings first, then intake's petitions; each store in one transaction
        (`infra.bulk`: binary COPY with the audit chain)."""
        have = self.existing(self.routing, batch.opened)
        # A handling stored by a run cut short between the two transactions stays as is.
        routing = [row for row in batch.routing if row[0] not in have]
        try:
            self.importer.routing_writer.write(routing)
            self.importer.intake_writer.write(batch.intake)
        except IntegrityError:  # another import stored one of these cases first
            ids = [str(case_id) for case_id in batch.opened[:1] or batch.cases[:1]]
            raise concurrent_update(ids[0] if ids else None, cases=ids) from None
        self.progress(len(batch.reports))

    # --- helpers ---------------------------------------------------------------------

    def fresh(self, reports: list[HistoricalReport]) -> list[tuple[UUID, HistoricalReport]]:
        """The reports not stored by an earlier run, with their case ids (those stored are
        counted and skipped)."""
        ids = {case_id_of(r.organ, r.source_id): r for r in reports}
        there = self.existing(self.intake, list(ids))
        self.report.already_there += len(there)
        self.settled.update(r.source_id for case_id, r in ids.items() if case_id in there)
        self.progress(len(there))
        return [(case_id, r) for case_id, r in ids.items() if case_id not in there]

    def numbers(
        self, reports: list[tuple[UUID, HistoricalReport]]
    ) -> dict[tuple[str, int], Iterator[str]]:
        """Registration numbers 编号 in the live sequence of each organ and received year."""
        counts = Counter(_year_key(r) for _, r in reports)
        firsts = self.intake.side.reserve_numbers(counts)  # one round trip per batch
        return {
            (organ, year): iter(
                [registration_number(organ, year, firsts[organ, year] + n) for n in range(count)]
            )
            for (organ, year), count in counts.items()
        }

    def seal(self, report: HistoricalReport, case_id: UUID) -> str | None:
        if report.reporter is None:
            return None
        return self.intake.sealer.seal(report.reporter, case_id)

    def case(self, case_id: UUID) -> Case | None:
        """A case stored by this run, or by an earlier one (loaded from the stores)."""
        if case_id in self.cases:
            return self.cases[case_id]
        petition = aggregates.find(self.intake, Petition, case_id)
        if petition is None:
            return None
        found = Case.of(petition, aggregates.find(self.routing, Handling, case_id))
        self.cases[case_id] = found
        return found

    @staticmethod
    def existing(app: ServiceApplication, ids: list[UUID]) -> set[UUID]:
        """Which of these aggregates the store holds already."""
        if not ids:
            return set()
        table: str = app.recorder.events_table_name  # type: ignore[attr-defined]
        query = SQL(
            "SELECT originator_id FROM {} WHERE originator_id = ANY(%s) AND originator_version = 1"
        ).format(Identifier(table))
        with app.datastore_connection() as conn:
            return {row[0] for row in conn.execute(query, (ids,)).fetchall()}


def _audited(app: ServiceApplication) -> AuditedProcessRecorder:
    recorder = app.recorder
    if not isinstance(recorder, AuditedProcessRecorder):
        raise RuntimeError(f"{app.service}: the history import needs the audited PostgreSQL store")
    return recorder


def _year_key(report: HistoricalReport) -> tuple[str, int]:
    return report.organ, report.received_at.astimezone(CHINA_TZ).year


def _error(code: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, zh, en, **details)


def duplicate(first_line: int) -> InvalidInput:
    return _error("import_source_id_duplicate", "source_id在文件中重复",
                  "The source_id was used by an earlier line", first_line=first_line)


def _first_is_itself() -> InvalidInput:
    return _error("import_repeat_of_itself", "重复举报不能以自身为首件",
                  "A repeat cannot be its own first report")


def _first_refused(first: str) -> InvalidInput:
    return _error("import_repeat_first_refused", "重复举报的首件未能导入",
                  "The first report of this repeat was refused", first=first)


def _first_unknown(first: str) -> InvalidInput:
    return _error("import_repeat_first_unknown", "重复举报的首件不存在",
                  "No report has the first's source_id, in this file or imported before",
                  first=first)


def _cycle() -> InvalidInput:
    return _error("import_repeat_cycle", "重复举报互相引用,找不到首件",
                  "These repeats point at each other: no first report")
