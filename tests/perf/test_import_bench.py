"""History import benchmark, beside a same-run baseline:

- import: `baton import`'s importer writing the demo history (every channel and screening
  outcome, a third concluded, a fifth of the in-scope ones repeats) into real intake and
  routing stores through the bulk fast path (stored events built directly, binary COPY
  with the audit chain), in reports/s (target ≥ 5,000/s): by one process, and by one
  process per core (what `baton import` does with a big file); the petition index
  catch-up after it is timed apart;
- baseline: a bare `COPY` of the same lines into a scratch table (one row per report);
- CPU per report, the figure a loaded machine does not blur: this process's and its
  workers' (Python), and the PostgreSQL server's (when it runs on this machine), with the
  rate both would allow on this machine's cores.

Run with `make bench`. Nothing here asserts a speed; it prints the figures and the ratio.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg

from deploy.import_cli import open_importer
from infra.reference_data import load_org_tree
from infra.settings import Settings
from services.importing.demo import demo_lines
from services.importing.importer import ImportReport
from services.importing.parallel import import_in_parallel

REPORTS = 20_000
TARGET = 5_000
CORES = os.cpu_count() or 1


def fresh(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        baton_data_dir=tmp_path,
        baton_namespace=f"b{uuid.uuid4().hex[:8]}_",
    )


def line(name: str, rate: float, copied: float) -> None:
    print(
        f"\n[bench] {name:<28} {rate:10,.0f} reports/s"
        f" (target {TARGET:,}/s{'' if rate >= TARGET else ', MISSED'})"
        f"   baseline COPY {copied:10,.0f} rows/s   ratio {rate / copied:5.3f}"
        f"   load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )


def copy_rate(owner_url: str, schema: str, lines: list[str]) -> float:
    # The scratch table is the owner's: the runtime role may not create tables.
    with psycopg.connect(owner_url, autocommit=True) as conn:
        table = f'"{schema}".import_scratch'
        conn.execute(f"CREATE TABLE {table} (n integer, line jsonb)")
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY {table} (n, line) FROM STDIN") as copy:
            for n, text in enumerate(lines):
                copy.write_row((n, text))
        rate = len(lines) / (time.perf_counter() - started)
        conn.execute(f"DROP TABLE {table}")
    return rate


class CPU:
    """CPU seconds of this process and its waited-for workers, and of the PostgreSQL
    server (its postmaster and every backend), if it runs here."""

    def __init__(self, admin_url: str) -> None:
        self.postmaster: int | None = None
        try:
            with psycopg.connect(admin_url) as conn:
                row = conn.execute("SHOW data_directory").fetchone()
            assert row is not None
            pid = int((Path(row[0]) / "postmaster.pid").read_text().split()[0])
            self.postmaster = pid if Path(f"/proc/{pid}").exists() else None
        except (psycopg.Error, OSError, ValueError):
            self.postmaster = None  # another machine's server, or not ours to read

    def python(self) -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def postgres(self) -> float | None:
        if self.postmaster is None:
            return None
        children: dict[int, list[int]] = {}
        ticks: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            ticks[int(entry.name)] = sum(int(f) for f in fields[11:15])
        total, todo = 0, [self.postmaster]
        while todo:
            pid = todo.pop()
            total += ticks.get(pid, 0)
            todo.extend(children.get(pid, []))
        return total / os.sysconf("SC_CLK_TCK")

    def measure(self, name: str, processes: int, work: Callable[[], ImportReport]) -> float:
        """Run `work`; print its CPU per report; its wall-clock rate."""
        python, server = self.python(), self.postgres()
        started = time.perf_counter()
        report = work()
        rate = REPORTS / (time.perf_counter() - started)
        assert report.imported == REPORTS and not report.refused
        python = (self.python() - python) / REPORTS * 1e6
        after = self.postgres()
        if server is None or after is None:
            print(f"\n[bench] {name:<28} CPU {python:6.0f} µs/report (Python); server n/a")
            return rate
        server = (after - server) / REPORTS * 1e6
        # What the machine allows when nothing else runs: every core busy with Python or
        # PostgreSQL, and each Python process on at most one core (its threads share the GIL).
        allowed = min(CORES / (python + server), processes / python) * 1e6
        print(
            f"\n[bench] {name:<28} CPU {python:6.0f} µs/report (Python)"
            f" + {server:4.0f} µs (PostgreSQL) → {allowed:,.0f} reports/s on {CORES} idle cores"
        )
        return rate


def test_bench_import(
    database_url: str, database_owner_url: str, database_admin_url: str, tmp_path: Path
) -> None:
    lines = list(demo_lines(load_org_tree(), seed=7, cases=REPORTS, until=date(2026, 1, 1)))
    cpu = CPU(database_admin_url)

    single = fresh(database_url, tmp_path)
    with open_importer(single) as importer:
        one = cpu.measure("import, 1 process", 1, lambda: importer.run(lines, index=False))
        started = time.perf_counter()
        importer.catch_up_index()
        indexed = REPORTS / (time.perf_counter() - started)
    copied = copy_rate(database_owner_url, single.schema_of("intake"), lines)
    line("import, 1 process", one, copied)

    several = fresh(database_url, tmp_path)
    factory = functools.partial(open_importer, several)
    with factory():
        pass  # the stores exist before, as for the single process (and for `baton import`)
    parallel = cpu.measure(
        f"import, {CORES} processes", CORES,
        lambda: import_in_parallel(factory, lines, CORES, index=False),
    )
    with factory() as importer:
        started = time.perf_counter()
        importer.catch_up_index()
        indexed_after = REPORTS / (time.perf_counter() - started)
    line(f"import, {CORES} processes", parallel, copied)
    print(f"[bench] petition index catch-up        {indexed:10,.0f} reports/s"
          f" (after the parallel import: {indexed_after:,.0f}/s)")
