"""`baton rebuild stats`: every stats read model rebuilt from the event stores.

It reads each publishing store's notification log into the envelopes its relay sends
(`logreader`, checked equal to the relay's `envelope_for` event by event), projects the
facts in memory through the same handlers as the live consumer, and replaces the tables
with COPY in one transaction. The tracking table is locked first, so a running consumer
waits, and afterwards resumes after the last event read: nothing is counted twice or lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification

from domain.contracts import Envelope
from infra.consumer import tracking_name
from infra.eventstore import ServiceApplication, service_store
from infra.relay import envelope_for
from infra.settings import Settings
from services.stats.application import StatsApplication
from services.stats.bulk import write_encoded
from services.stats.facts import HANDLERS_BY_SOURCE
from services.stats.logreader import read_log
from services.stats.parallel import fold_in_workers

Progress = Callable[[str, int, int], None]
"""progress(source, notification id read up to, its last notification id)."""


@dataclass(frozen=True)
class RebuildReport:
    events: int  # read from the stores, whether or not a handler took them
    cases: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


def sources_to_read() -> list[str]:
    """The services whose events stats keeps (those with a non-empty handler table)."""
    return [source for source, handlers in HANDLERS_BY_SOURCE.items() if handlers]


def read_store(
    app: ServiceApplication, last: int, progress: Callable[[int], None]
) -> Iterator[Envelope]:
    """Every stored event of `app` up to notification `last` that a handler takes, as its
    relay would send it (`logreader`: events no handler takes are not even read)."""
    return read_log(app, HANDLERS_BY_SOURCE[app.service], last, progress)


def projected_envelope(source: str, notification: Notification, state: dict[str, Any]) -> Envelope:
    """The relay's envelope less what the projection never reads, the event id."""
    return envelope_for(source, notification, state, with_event_id=False)


def rebuild(
    stats: StatsApplication,
    stores: dict[str, ServiceApplication],
    topics: dict[str, str],
    partitions: int,
    progress: Progress | None = None,
    workers: int = 1,
) -> RebuildReport:
    """Replace the stats tables with the facts of every event in `stores`, folded in
    this process, or in `workers` forked processes (`parallel`)."""
    started = time.perf_counter()
    with stats.pool.connection() as conn:
        conn.execute("LOCK TABLE tracking IN EXCLUSIVE MODE")
        lasts = {source: app.recorder.max_notification_id() or 0 for source, app in stores.items()}
        positions = {
            tracking_name(topics[source], partition): last
            for source, last in lasts.items()
            for partition in range(partitions)
        }

        def report(source: str, position: int) -> None:
            if progress is not None:
                progress(source, position, lasts[source])

        for source in stores:
            report(source, 0)
        folded = fold_in_workers(stats.projector, stores, lasts, max(1, workers), report)
        write_encoded(conn, [f.tables for f in folded], positions)
    return RebuildReport(
        sum(f.applied for f in folded),
        sum(f.cases for f in folded),
        time.perf_counter() - started,
    )


def rebuild_from_settings(settings: Settings, workers: int = 1) -> RebuildReport:
    """The `baton rebuild stats` command: the stores and topics of this environment,
    with a progress bar showing events/s and the time left."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    assert settings.database_url, "DATABASE_URL is needed to rebuild stats"
    stats = StatsApplication(settings.database_url, settings.schema_of("stats"))
    stores = {
        source: service_store(source, settings.database_url, settings.schema_of(source))
        for source in sources_to_read()
    }
    topics = {source: settings.topic_of(source) for source in stores}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} events/s"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, transient=False) as bar:
            tasks = {
                source: bar.add_task(
                    f"{source}.events",
                    total=app.recorder.max_notification_id() or 0,
                    rate="-",
                )
                for source, app in stores.items()
            }
            clocks: dict[str, float] = {}

            def progress(source: str, read: int, last: int) -> None:
                elapsed = time.perf_counter() - clocks.setdefault(source, time.perf_counter())
                rate = f"{read / elapsed:,.0f}" if elapsed > 0 else "-"
                bar.update(tasks[source], completed=read, total=last, rate=rate)

            return rebuild(stats, stores, topics, settings.topic_partitions, progress, workers)
    finally:
        for app in stores.values():
            app.close()
        stats.close()
