"""After the faults: the platform held to the clients' ledger and to its own event stores."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg

from infra.eventstore import service_store
from infra.relay import decode_stored

from .driver import Ledger

PUBLISHERS = {
    "intake": "intake.events",
    "routing": "routing.events",
    "supervision": "supervision.events",
}
CONSUMERS = ("intake", "routing", "supervision", "stats")


def _stored_events(url: str, service: str, topic_suffix: str) -> list[tuple[str, dict]]:
    """(case id, state) of every stored event of `service` whose type ends so."""
    app = service_store(service, url, service)
    found: list[tuple[str, dict]] = []
    position = 0
    while True:
        batch = app.recorder.select_notifications(start=position + 1, limit=5000)
        if not batch:
            return found
        for notification in batch:
            if notification.topic.endswith(topic_suffix):
                state, _ = decode_stored(app, notification)
                found.append((str(notification.originator_id), state))
        position = batch[-1].id


@dataclass
class Verdict:
    lost: list[str]
    duplicated: list[str]
    registered_in_store: int
    transfers_lost: list[str]
    transfers_twice: list[str]


def against_ledger(url: str, ledger: Ledger) -> Verdict:
    """No acknowledged write lost, none applied twice."""
    by_token: Counter[str] = Counter()
    case_of: dict[str, str] = {}
    registered = _stored_events(url, "intake", ".Registered")
    for case_id, state in registered:
        token = str(state.get("summary", "")).rpartition(" ")[2]
        if token.startswith("chaos-"):
            by_token[token] += 1
            case_of[token] = case_id
    lost = [t for t, (case_id, _) in ledger.registered.items() if case_of.get(t) != case_id]
    duplicated = [t for t, n in by_token.items() if n > 1]
    proposals: Counter[str] = Counter()
    receipts: Counter[str] = Counter()
    for _, state in _stored_events(url, "routing", ".TransferProposed"):
        proposals[str(state.get("transfer_id"))] += 1
    for _, state in _stored_events(url, "routing", ".TransferReceived"):
        receipts[str(state.get("transfer_id"))] += 1
    transfers_lost = [t for t in ledger.proposed if proposals[t] != 1] + [
        t for t in ledger.received if receipts[t] != 1
    ]
    twice = [t for t in proposals.keys() | receipts.keys() if proposals[t] > 1 or receipts[t] > 1]
    return Verdict(lost, duplicated, len(registered), transfers_lost, twice)


def lagging(url: str) -> dict[str, int]:
    """What is not yet through: events not relayed, chain links not yet taken by a
    consumer, and quarantined records (each should be 0)."""
    behind: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for service, topic in PUBLISHERS.items():
            table = f"{service}.{service}application_events"
            behind[f"{service} relay"] = _scalar(
                conn,
                f"SELECT coalesce(sum(e.v - coalesce(r.sequence, 0)), 0) FROM "
                f"(SELECT originator_id::text AS case_id, max(originator_version) AS v "
                f" FROM {table} GROUP BY 1) e LEFT JOIN {service}.relay_chain r "
                f"ON r.case_id = e.case_id AND r.topic = %s",
                (topic,),
            )
            for consumer in CONSUMERS:
                if consumer == service or not _has_chain(conn, consumer, topic):
                    continue
                behind[f"{consumer} ← {topic}"] = _scalar(
                    conn,
                    f"SELECT count(*) FROM {service}.relay_chain r LEFT JOIN "
                    f"{consumer}.inbox_chain i ON i.topic = r.topic AND i.case_id = r.case_id "
                    f"WHERE r.topic = %s AND (i.hash IS NULL OR i.hash <> r.hash)",
                    (topic,),
                )
        for consumer in CONSUMERS:
            behind[f"{consumer} quarantine"] = _scalar(
                conn, f"SELECT count(*) FROM {consumer}.quarantine"
            )
    return behind


def quarantined(url: str) -> list[tuple]:
    """Every quarantined record of every consumer: who, what, and why."""
    rows: list[tuple] = []
    with psycopg.connect(url) as conn:
        for consumer in CONSUMERS:
            rows += conn.execute(
                f"SELECT '{consumer}', topic, partition, \"offset\", reason, detail, event_type, "
                f"sequence FROM {consumer}.quarantine ORDER BY id"
            ).fetchall()
    return rows


def _scalar(conn: psycopg.Connection, sql: str, params: tuple = ()) -> Any:
    row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


def _has_chain(conn: psycopg.Connection, consumer: str, topic: str) -> bool:
    sql = f"SELECT EXISTS (SELECT 1 FROM {consumer}.inbox_chain WHERE topic = %s)"
    return bool(_scalar(conn, sql, (topic,)))


def wait_caught_up(url: str, timeout: float) -> tuple[float, dict[str, int]]:
    """Seconds until nothing lags (quarantine aside, which must stay empty anyway)."""
    started = time.monotonic()
    behind: dict[str, int] = {}
    while time.monotonic() - started < timeout:
        try:
            behind = lagging(url)
        except psycopg.OperationalError:
            behind = {"postgres": 1}
        if all(v == 0 for k, v in behind.items() if "quarantine" not in k):
            return time.monotonic() - started, behind
        time.sleep(0.5)
    return float("inf"), behind


NOT_READ_MODELS = ("tracking", "inbox_chain", "inbox_offsets", "quarantine", "audit_witness")


def stats_rows(url: str) -> dict[str, list[str]]:
    """Every stats read-model table's rows as text, in a stable order."""
    found: dict[str, list[str]] = {}
    with psycopg.connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'stats' "
                "AND table_type = 'BASE TABLE' ORDER BY 1",
            ).fetchall()
        ]
        for table in tables:
            if table in NOT_READ_MODELS or "event" in table:
                continue
            rows = conn.execute(f"SELECT t::text FROM stats.{table} t ORDER BY 1").fetchall()
            found[table] = [r[0] for r in rows]
    return found


def other_read_models(url: str) -> dict[str, dict[str, dict[str, str]]]:
    """Intake's and supervision's read models beside their rebuild from the event stores,
    as per-table (per-aggregate-type) digests: `{model: {"live": ..., "rebuilt": ...}}`;
    each model's two sides must be equal. Intake's tables are rebuilt into a scratch
    schema (`intake_rebuild`, dropped after). Supervision's read model lives in memory:
    its "live" side is the index followed along the log as the service does, here."""
    from services.intake.rebuild import compare as compare_intake
    from services.supervision.rebuild import compare as compare_supervision

    intake_live, intake_rebuilt = compare_intake(url, "intake", "routing")
    supervision = compare_supervision(url, "supervision")
    return {
        "intake": {"live": intake_live, "rebuilt": intake_rebuilt},
        "supervision": {"live": supervision.followed, "rebuilt": supervision.replayed},
    }


def checksums(rows: dict[str, list[str]]) -> dict[str, str]:
    """A digest and count per table."""
    return {
        table: hashlib.sha256(json.dumps(r).encode()).hexdigest()[:16] + f"/{len(r)}"
        for table, r in rows.items()
    }


def differences(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    """A few rows each side has that the other lacks, per differing table."""
    return {
        table: {
            "live_only": sorted(set(before.get(table, [])) - set(after.get(table, [])))[:3],
            "rebuilt_only": sorted(set(after.get(table, [])) - set(before.get(table, [])))[:3],
        }
        for table in set(before) | set(after)
        if before.get(table) != after.get(table)
    }


def baton(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """A `baton` command against the chaos platform."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"from deploy.cli import main; raise SystemExit(main({list(args)!r}))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
