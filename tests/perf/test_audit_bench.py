"""Audit benchmarks, each beside a same-run baseline:

- store: saving events in batches through the audited recorder vs the library's own;
- verify: `verify_store` over the events (leaves, chain, Merkle roots, checkpoints) vs
  reading the same rows and one bare SHA-256 each.

Run with `make bench`. The verifier must reach 30,000 events/s on this machine (best of
three runs; a machine busy with other work can still fall short, and says so).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path

import psycopg
from eventsourcing.domain import Aggregate, event

from infra.audit.keys import AuditKeys
from infra.audit.verify import verify_store
from infra.audit.wiring import checkpointer_for
from infra.eventstore import ServiceApplication
from infra.settings import Settings

N = 40_000
BATCH = 1_000
FLOOR = 30_000  # events/s
RUNS = 3
TEXT = "网络举报某局长违规收受礼金，反映其在工程招标中为特定关系人谋取利益。" * 12


class Note(Aggregate):
    """A stand-in for a registration: one event of about a kilobyte."""

    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def test_bench_verify(database_url: str, database_owner_url: str, tmp_path: Path) -> None:
    schema = f"b_{uuid.uuid4().hex[:10]}"
    app = ServiceApplication("intake", database_url, schema=schema)
    started = time.perf_counter()
    for _ in range(N // BATCH):
        app.save(*(Note(TEXT) for _ in range(BATCH)))
    stored = rate(N, time.perf_counter() - started)
    settings = Settings(database_url=database_url, baton_audit_key_dir=tmp_path)
    checkpointer = checkpointer_for(app, settings)
    checkpointer.checkpoint()
    app.save(*(Note(TEXT) for _ in range(BATCH)))
    checkpointer.checkpoint()
    total = N + BATCH
    keys = AuditKeys(tmp_path)

    events = app.recorder.events_table_name  # type: ignore[attr-defined]
    verified = baseline = 0.0
    with psycopg.connect(database_owner_url, autocommit=True) as conn:
        # Best of a few runs each: the machine is shared, and a figure should not be noise.
        for _ in range(RUNS):
            started = time.perf_counter()
            report = verify_store(conn, schema, "intake", keys.public_key("intake"))
            verified = max(verified, rate(total, time.perf_counter() - started))
            assert report.ok, report.broken
            assert (report.events, report.checkpoints) == (total, 2)

            started = time.perf_counter()
            with conn.transaction(), conn.cursor(name="baseline", binary=True) as cur:
                cur.execute(f'SELECT originator_id, topic, state FROM "{schema}".{events}')
                while rows := cur.fetchmany(5000):
                    for _, _, state in rows:
                        hashlib.sha256(state).digest()
            baseline = max(baseline, rate(total, time.perf_counter() - started))
    app.close()

    # The library's recorder cannot route its declarations to the owner: it runs as owner.
    plain = ServiceApplication(
        "intake",
        database_owner_url,
        schema=f"b_{uuid.uuid4().hex[:10]}",
        env={"PROCESS_RECORDER_TOPIC": "eventsourcing.postgres:PostgresProcessRecorder"},
    )
    started = time.perf_counter()
    for _ in range(N // BATCH):
        plain.save(*(Note(TEXT) for _ in range(BATCH)))
    unaudited = rate(N, time.perf_counter() - started)
    plain.close()
    print(
        f"\n[bench] store+audit {stored:10.1f} events/s   baseline (the library's recorder) "
        f"{unaudited:10.1f} events/s   ratio {stored / unaudited:5.2f}"
        f"\n[bench] verify      {verified:10.1f} events/s   baseline (read + bare sha256) "
        f"{baseline:10.1f} events/s   ratio {verified / baseline:5.2f}   floor {FLOOR}"
    )
    assert verified >= FLOOR
