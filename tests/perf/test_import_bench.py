"""History import benchmark, beside a same-run baseline:

- import: `baton import`'s importer writing the demo history (every channel and screening
  outcome, a third concluded, a fifth of the in-scope ones repeats) into real intake and
  routing stores through the audited recorder, in reports/s (target ≥ 5,000/s);
- baseline: a bare `COPY` of the same lines into a scratch table (one row per report).

Run with `make bench`. Nothing here asserts a speed; it prints the figures and the ratio.
"""

from __future__ import annotations

import time
import uuid
from datetime import date
from pathlib import Path

import psycopg

from deploy.import_cli import open_importer
from infra.reference_data import load_org_tree
from infra.settings import Settings
from services.importing.demo import demo_lines

REPORTS = 10_000
TARGET = 5_000


def test_bench_import(database_url: str, database_owner_url: str, tmp_path: Path) -> None:
    lines = list(demo_lines(load_org_tree(), seed=7, cases=REPORTS, until=date(2026, 1, 1)))
    settings = Settings(
        database_url=database_url,
        baton_data_dir=tmp_path,
        baton_namespace=f"b{uuid.uuid4().hex[:8]}_",
    )
    with open_importer(settings) as importer:
        started = time.perf_counter()
        report = importer.run(lines)
        seconds = time.perf_counter() - started
    assert report.imported == REPORTS and not report.refused
    imported = REPORTS / seconds

    # The scratch table is the owner's: the runtime role may not create tables.
    with psycopg.connect(database_owner_url, autocommit=True) as conn:
        table = f'"{settings.schema_of("intake")}".import_scratch'
        conn.execute(f"CREATE TABLE {table} (n integer, line jsonb)")
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY {table} (n, line) FROM STDIN") as copy:
            for n, text in enumerate(lines):
                copy.write_row((n, text))
        copied = REPORTS / (time.perf_counter() - started)
        conn.execute(f"DROP TABLE {table}")

    print(
        f"\n[bench] import {REPORTS} reports   {imported:10,.0f} reports/s"
        f" (target {TARGET:,}/s{'' if imported >= TARGET else ', MISSED'})"
        f"   baseline COPY {copied:10,.0f} rows/s   ratio {imported / copied:5.3f}"
    )
