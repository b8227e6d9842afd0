"""A large history file imported by several processes, each owning a share of the organs.

Every line of an organ goes to the same process, so a repeat finds its first there (a
repeat's first is of its own organ, `case_id_of`), and each process batches and saves as
the single importer does; the stores' table lock orders their transactions. This process
splits the file (refusing a `source_id` seen before, file-wide), shows the progress the
workers report, and brings intake's petition index up to date once at the end.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from services.importing.importer import Importer, ImportReport, Progress, duplicate
from services.importing.lines import LineRefused

__all__ = ["import_in_parallel", "organ_of", "shares_of"]

# A forked worker starts at once with the modules and its share of the lines in memory; a
# spawned one imports the platform again (about two seconds) and is sent its lines. The
# workers open their own connections; this process holds none open while it forks.
_START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

Factory = Callable[[], AbstractContextManager[Importer]]
"""Opens an importer on the stores (picklable: each worker opens its own)."""


def organ_of(text: str) -> tuple[str | None, str | None]:
    """The line's organ (its worker is chosen by it) and source_id, where it has them."""
    try:
        data = json.loads(text)
    except ValueError:
        return None, None  # a worker refuses it with its number
    if not isinstance(data, dict):
        return None, None
    organ, source_id = data.get("organ"), data.get("source_id")
    return (
        organ.strip() if isinstance(organ, str) else None,
        source_id.strip() if isinstance(source_id, str) else None,
    )


def shares_of(by_organ: dict[str | None, list[tuple[int, str]]], workers: int) -> list[
    list[tuple[int, str]]
]:
    """The organs dealt out to the workers, the busiest first, each to the least loaded,
    so that they finish together (a few organs hold most of a province's reports)."""
    shares: list[list[tuple[int, str]]] = [[] for _ in range(workers)]
    for organ in sorted(by_organ, key=lambda o: (-len(by_organ[o]), o or "")):
        min(shares, key=len).extend(by_organ[organ])
    for share in shares:
        share.sort()  # in file order: a worker's refusals and batches follow the file
    return shares


def import_in_parallel(
    factory: Factory,
    lines: Iterable[str],
    workers: int,
    progress: Progress | None = None,
    *,
    index: bool = True,
) -> ImportReport:
    """Import with `workers` processes; the same report as one importer would give.

    With `index`, intake's petition index is brought up to date after, once."""
    started = time.perf_counter()
    progress = progress or (lambda n: None)
    report = ImportReport()
    by_organ: dict[str | None, list[tuple[int, str]]] = {}
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        organ, source_id = organ_of(text)
        if source_id is not None and source_id in seen:
            report.lines += 1
            report.refused.append(LineRefused(number, duplicate(seen[source_id])))
            progress(1)
            continue
        if source_id is not None:
            seen[source_id] = number
        by_organ.setdefault(organ, []).append((number, text))
    shares = shares_of(by_organ, workers)
    context: Any = multiprocessing.get_context(_START_METHOD)
    messages: Any = context.Queue()
    processes = [
        context.Process(target=_work, args=(factory, share, messages), daemon=True)
        for share in shares
        if share
    ]
    for process in processes:
        process.start()
    finished = 0
    while finished < len(processes):
        try:
            kind, value = messages.get(timeout=1.0)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                raise RuntimeError("an import worker died; see its output above") from None
            continue
        if kind == "progress":
            progress(value)
            continue
        finished += 1
        _merge(report, value)
    for process in processes:
        process.join()
    if index:
        with factory() as importer:
            importer.catch_up_index()
    report.refused.sort(key=lambda r: r.line)
    report.seconds = time.perf_counter() - started
    return report


def _work(factory: Factory, lines: list[tuple[int, str]], messages: Any) -> None:
    # A forked worker inherits the progress bar's redirected streams, whose lock the bar's
    # thread may have held at the fork: write to the process's own.
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    with factory() as importer:
        done = importer.run_numbered(
            lines, lambda n: messages.put(("progress", n)), index=False
        )
    messages.put(("done", done))


def _merge(into: ImportReport, share: ImportReport) -> None:
    into.lines += share.lines
    into.imported += share.imported
    into.already_there += share.already_there
    into.refused.extend(share.refused)
