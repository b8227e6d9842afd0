"""A rebuild's reading, decoding and folding in worker processes, a share of the cases each.

Each worker reads the intake and routing events of its cases only (a case's share is the
last byte of its id, filtered in SQL), and every supervision event, since a deadline's
events name their case only through its opening event; it keeps those addressed to its
cases. It folds its cases in memory and hands back its rows as binary COPY data, so the
parent only sends bytes, in one transaction. Workers are forked: they inherit the stores
and the projector, and start in milliseconds.

Opt-in (`baton rebuild stats --workers N`): on the shared 2-core machine two workers took
20-25 % more CPU than one process (fork, copy-on-write pages, a second setup) and were
slower in wall time at 12,000 and at 120,000 events (docs/analysis.md); on a machine with
idle cores they divide the folding.
"""

from __future__ import annotations

import gc
import multiprocessing
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from infra.eventstore import ServiceApplication
from services.stats.bulk import Projection
from services.stats.facts import HANDLERS_BY_SOURCE, Projector
from services.stats.logreader import read_log, share_of

__all__ = ["Folded", "fold", "fold_in_workers"]

Encoded = dict[str, tuple[list[str], bytes]]


@dataclass
class Folded:
    applied: int
    cases: int
    tables: Encoded


def fold(
    projector: Projector,
    stores: dict[str, ServiceApplication],
    lasts: dict[str, int],
    share: int,
    shares: int,
    progress: Callable[[str, int], None],
) -> Folded:
    """Share `share` of `shares` of every case, folded and encoded."""
    # Folding allocates millions of objects and frees none of them before the end: the
    # cycle collector's passes over them find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _fold(projector, stores, lasts, share, shares, progress)
    finally:
        if collecting:
            gc.enable()


def _fold(
    projector: Projector,
    stores: dict[str, ServiceApplication],
    lasts: dict[str, int],
    share: int,
    shares: int,
    progress: Callable[[str, int], None],
) -> Folded:
    projection = Projection(
        projector,
        keep=None if shares == 1 else (lambda case_id: share_of(case_id, shares) == share),
        count_unaddressed=share == 0,
    )
    for source, app in stores.items():
        split = None if shares == 1 or source == "supervision" else (share, shares)

        def report(position: int, source: str = source) -> None:
            progress(source, position)

        for envelope in read_log(app, HANDLERS_BY_SOURCE[source], lasts[source], report, split):
            projection.apply(envelope)
    encoded = projection.encoded(deadlines=share == 0)
    return Folded(projection.applied, len(projection.parts), encoded)


def fold_in_workers(
    projector: Projector,
    stores: dict[str, ServiceApplication],
    lasts: dict[str, int],
    shares: int,
    progress: Callable[[str, int], None],
) -> list[Folded]:
    """`fold` of every share, each in a forked process; progress is the slowest worker's
    position in each store."""
    if shares == 1:
        return [fold(projector, stores, lasts, 0, 1, progress)]
    context = multiprocessing.get_context("fork")
    sources = list(stores)
    positions = context.Array("q", shares * len(sources), lock=False)
    running: list[tuple[Any, Connection]] = []
    # The parent's objects stay where they are: no collection in a worker touches (and so
    # copies) the pages they share with the parent.
    gc.freeze()
    for share in range(shares):
        receive, send = context.Pipe(duplex=False)

        def run(share: int = share, send: Connection = send) -> None:
            def note(source: str, position: int) -> None:
                positions[share * len(sources) + sources.index(source)] = position

            try:
                send.send(("ok", fold(projector, stores, lasts, share, shares, note)))
            except BaseException:
                send.send(("failed", traceback.format_exc()))

        process = context.Process(target=run, name=f"stats-rebuild-{share}", daemon=True)
        process.start()
        send.close()
        running.append((process, receive))
    gc.unfreeze()
    found: list[Folded] = []
    try:
        for process, receive in running:
            while not receive.poll(0.2):
                for n, source in enumerate(sources):
                    progress(source, min(positions[s * len(sources) + n] for s in range(shares)))
                if not process.is_alive() and not receive.poll(0):
                    raise RuntimeError(f"{process.name} died (exit code {process.exitcode})")
            status, result = receive.recv()
            if status != "ok":
                raise RuntimeError(f"{process.name} failed:\n{result}")
            found.append(result)
    finally:
        for process, receive in running:
            receive.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    for source in sources:
        progress(source, lasts[source])
    return found
