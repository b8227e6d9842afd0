"""`baton import FILE.jsonl` and `baton demo`: bring history into the platform's stores.

Both write through intake's and routing's own applications, with the environment `baton
up` gives the services (DATABASE_URL as the runtime role, the identity key, the
namespace), so the stores' audit recorder chains every imported event and the relays
publish them to the running services (see docs/import.md).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from infra.settings import Settings

# Files from this many lines are imported by several processes (one per core).
PARALLEL_FROM = 5_000

if TYPE_CHECKING:
    from services.importing.importer import Importer

__all__ = [
    "add_commands",
    "import_file",
    "load_demo_once",
    "open_importer",
    "run_demo",
    "run_import",
    "write_demo",
]


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from services.importing.demo import DEFAULT_CASES, DEFAULT_SEED
    from services.importing.importer import DEFAULT_BATCH

    imports = commands.add_parser("import", help="import history 历史数据导入 (JSON lines)")
    imports.add_argument("file", type=Path, help="one report per line, see docs/import.md")
    imports.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="cases per transaction")
    imports.add_argument("--actor", default="import", help="the name imported events record")
    imports.add_argument(
        "--workers", type=int, help="importer processes (default: one per core, for big files)"
    )
    demo = commands.add_parser("demo", help="generate a demo history and import it 演示数据")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED)
    demo.add_argument("--cases", type=int, default=DEFAULT_CASES)
    demo.add_argument("--until", help="the day after the history ends (default: today)")
    demo.add_argument("--out", type=Path, help="also keep the generated file here")
    demo.add_argument("--no-import", action="store_true", help="only write --out")


@contextmanager
def open_importer(
    settings: Settings, actor: str = "import", batch: int | None = None
) -> Iterator[Importer]:
    """An importer on the stores of the platform these settings describe."""
    from infra.reference_data import load_key_fields, load_org_tree, load_rules
    from services.importing.building import Importers
    from services.importing.importer import DEFAULT_BATCH, Importer
    from services.intake.application import IntakeApplication
    from services.intake.attachments import AttachmentStore
    from services.intake.sealing import Sealer
    from services.routing.application import RoutingApplication

    tree = load_org_tree()
    intake = IntakeApplication(
        sealer=Sealer(settings.identity_key()),
        org_tree=tree,
        rules=load_rules(),
        key_fields=load_key_fields(),
        attachments=AttachmentStore(
            settings.baton_data_dir / "attachments", key=settings.identity_key()
        ),
        database_url=settings.database_url,
        schema=settings.schema_of("intake"),
    )
    routing = RoutingApplication(
        tree, database_url=settings.database_url, schema=settings.schema_of("routing")
    )
    try:
        yield Importer(
            intake, routing, importers=Importers(actor), batch_size=batch or DEFAULT_BATCH
        )
    finally:
        intake.close()
        routing.close()


def workers_for(lines: int, asked: int | None = None) -> int:
    """Importer processes: as asked, else one per core (at most 4) for a big file."""
    if asked is not None:
        return max(1, asked)
    return min(os.cpu_count() or 1, 4) if lines >= PARALLEL_FROM else 1


def import_file(settings: Settings, path: Path, *, actor: str = "import",
                batch: int | None = None, quiet: bool = False,
                workers: int | None = None) -> int:
    """Import a file; prints a progress bar, the refused lines and a summary. 0: all in."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from services.importing.parallel import import_in_parallel

    with path.open(encoding="utf-8") as counting:
        total = sum(1 for text in counting if text.strip())
    columns = (
        TextColumn("[bold]import 导入"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} lines/s"),
        TimeRemainingColumn(),
    )
    processes = workers_for(total, workers)
    with Progress(*columns, disable=quiet, transient=False) as bar:
        task = bar.add_task("import", total=total, rate="…")
        started = datetime.now()

        def advance(n: int) -> None:
            bar.advance(task, n)
            done = bar.tasks[0].completed
            seconds = (datetime.now() - started).total_seconds() or 1e-9
            bar.update(task, rate=f"{done / seconds:,.0f}")

        with path.open(encoding="utf-8") as lines:
            if processes > 1:
                factory = functools.partial(open_importer, settings, actor, batch)
                report = import_in_parallel(factory, lines, processes, advance)
            else:
                with open_importer(settings, actor, batch) as importer:
                    report = importer.run(lines, advance)
    for refused in report.refused:
        error = refused.error
        print(f"line {refused.line}: {error.code}: {error.message_zh} / {error.message_en}"
              f"{' ' + str(error.details) if error.details else ''}", file=sys.stderr)
    print(
        f"{report.lines} lines: {report.imported} imported, {report.already_there} already "
        f"there, {len(report.refused)} refused; {report.rate:,.0f} lines/s"
    )
    return 1 if report.refused else 0


def run_import(args: argparse.Namespace) -> int:
    from deploy.cli import _database as database

    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    with database(Settings()) as settings:
        return import_file(
            settings, args.file, actor=args.actor, batch=args.batch, workers=args.workers
        )


def write_demo(path: Path, *, seed: int, cases: int, until: str | None = None) -> int:
    """Write the demo history to `path`; returns the number of lines."""
    from domain.guards import CHINA_TZ
    from infra.reference_data import load_org_tree
    from services.importing.demo import demo_lines

    end = (
        datetime.fromisoformat(until).date() if until
        else datetime.now(CHINA_TZ).date()
    )
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for line in demo_lines(load_org_tree(), seed=seed, cases=cases, until=end):
            out.write(line + "\n")
            count += 1
    return count


def run_demo(args: argparse.Namespace) -> int:
    from deploy.cli import _database as database

    if args.no_import and args.out is None:
        print("--no-import needs --out", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        path = args.out or Path(scratch) / "demo.jsonl"
        count = write_demo(path, seed=args.seed, cases=args.cases, until=args.until)
        print(f"demo history: {count} reports → {path}")
        if args.no_import:
            return 0
        with database(Settings()) as settings:
            return import_file(settings, path)


def load_demo_once(settings: Settings, cases: int | None = None) -> bool:
    """`baton up` in development: load the demo history into empty stores (True if it did)."""
    from services.importing.demo import DEFAULT_CASES, DEFAULT_SEED

    cases = cases or DEFAULT_CASES
    if settings.is_production or not settings.baton_demo_history:
        return False
    with open_importer(settings) as importer:
        if importer.has_history():
            return False
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "demo.jsonl"
            write_demo(path, seed=DEFAULT_SEED, cases=cases)
            print(f"Loading the demo history 演示数据 ({cases} reports)…", flush=True)
            with path.open(encoding="utf-8") as lines:
                report = importer.run(lines)
            print(f"demo history: {report.imported} reports in {report.seconds:.1f} s", flush=True)
    return True
