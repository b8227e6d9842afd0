"""History import benchmark, beside a same-run baseline:

- import: `baton import`'s importer writing the demo history (every channel and screening
  outcome, a third concluded, a fifth of the in-scope ones repeats) into real intake and
  routing stores through the audited recorder, in reports/s (target ≥ 5,000/s): by one
  process, and by one process per core (what `baton import` does with a big file); the
  petition index catch-up after it is timed apart;
- baseline: a bare `COPY` of the same lines into a scratch table (one row per report).

Run with `make bench`. Nothing here asserts a speed; it prints the figures and the ratio.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg

from deploy.import_cli import open_importer
from infra.reference_data import load_org_tree
from infra.settings import Settings
from services.importing.demo import demo_lines
from services.importing.parallel import import_in_parallel

REPORTS = 20_000
TARGET = 5_000


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


def test_bench_import(database_url: str, database_owner_url: str, tmp_path: Path) -> None:
    lines = list(demo_lines(load_org_tree(), seed=7, cases=REPORTS, until=date(2026, 1, 1)))

    single = fresh(database_url, tmp_path)
    with open_importer(single) as importer:
        started = time.perf_counter()
        report = importer.run(lines, index=False)
        one = REPORTS / (time.perf_counter() - started)
        started = time.perf_counter()
        importer.catch_up_index()
        indexed = REPORTS / (time.perf_counter() - started)
    assert report.imported == REPORTS and not report.refused
    copied = copy_rate(database_owner_url, single.schema_of("intake"), lines)

    workers = os.cpu_count() or 1
    several = fresh(database_url, tmp_path)
    factory = functools.partial(open_importer, several)
    started = time.perf_counter()
    report = import_in_parallel(factory, lines, workers, index=False)
    parallel = REPORTS / (time.perf_counter() - started)
    assert report.imported == REPORTS and not report.refused
    with factory() as importer:
        started = time.perf_counter()
        importer.catch_up_index()
        indexed_after = REPORTS / (time.perf_counter() - started)

    line("import, 1 process", one, copied)
    line(f"import, {workers} processes", parallel, copied)
    print(f"[bench] petition index catch-up        {indexed:10,.0f} reports/s"
          f" (after the parallel import: {indexed_after:,.0f}/s)")
    print(f"[bench] load average {Path('/proc/loadavg').read_text().split()[:3]}")
