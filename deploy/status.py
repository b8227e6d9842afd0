"""`baton status` 运行状态: processes, consumer lag, relay backlog, quarantine, dead letters
and the last audit checkpoint of each store, as a table or as JSON (for scripts and the
chaos test).

Consumer lag is counted in records: the topic's end offset minus the offset the consumer
committed, which it commits only after the database transaction of its effects.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from deploy.supervisor import STATE_FILE, pid_alive
from infra.audit.platform import latest_checkpoint, quarantine_summary
from infra.audit.verify import audited_tables
from infra.deadletter import STATUSES
from infra.deadletter import schema_of as dead_letter_schema

RELAYS = ("intake", "routing", "supervision")


def consumers() -> list[tuple[str, str, str]]:
    """(service, source, group) of every consumer, as the services' mains wire them."""
    from services.stats.rebuild import sources_to_read

    return [
        ("intake", "routing", "intake"),
        ("routing", "intake", "routing"),
        ("supervision", "intake", "supervision-intake"),
        ("supervision", "routing", "supervision-routing"),
        *(("stats", source, "stats") for source in sources_to_read()),
    ]


def processes(data_dir: Path) -> dict[str, Any]:
    """The supervisor's state file, with uptimes; empty when `baton up` is not running."""
    path = data_dir / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"running": False, "processes": {}}
    now = datetime.now(UTC)
    out: dict[str, Any] = {}
    replicas = state.get("replicas", {})
    for name, child in state.get("processes", {}).items():
        up = pid_alive(child.get("pid"))
        started = child.get("started_at")
        uptime = (now - datetime.fromisoformat(started)).total_seconds() if up and started else 0
        out[name] = {**child, "alive": up, "uptime_seconds": round(uptime, 1)}
        if name in replicas:
            out[name]["replica"] = replicas[name]
    if state.get("broker_pid"):
        out["broker"] = {"pid": state["broker_pid"], "alive": pid_alive(state["broker_pid"])}
    return {
        "running": pid_alive(state.get("supervisor_pid")),
        "supervisor_pid": state.get("supervisor_pid"),
        "processes": out,
        "namespace": state.get("namespace", ""),
        "kafka_bootstrap_servers": state.get("kafka_bootstrap_servers"),
    }


def owner_of(service: str, partition: int, procs: dict[str, Any]) -> str | None:
    """The process (`stats`, `stats-1`, ...) whose replica consumes `partition`."""
    for name, proc in procs.items():
        replica = proc.get("replica")
        if (
            replica
            and replica["service"] == service
            and partition % replica["count"] == replica["index"]
        ):
            return name
    return None


def consumer_lag(bootstrap: str, namespace: str) -> list[dict[str, Any]]:
    """Per consumer and partition: committed offset, end offset, lag (records)."""
    from kafka import KafkaConsumer, TopicPartition

    rows: list[dict[str, Any]] = []
    probe = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        topics = probe.topics()
        for service, source, group in consumers():
            topic = f"{namespace}{source}.events"
            if topic not in topics:
                continue
            parts = [TopicPartition(topic, p) for p in sorted(probe.partitions_for_topic(topic))]
            ends = probe.end_offsets(parts)
            reader = KafkaConsumer(
                bootstrap_servers=bootstrap,
                group_id=f"{namespace}{group}",
                enable_auto_commit=False,
            )
            try:
                for tp in parts:
                    committed = reader.committed(tp) or 0
                    rows.append(
                        {
                            "consumer": f"{namespace}{group}",
                            "service": service,
                            "topic": topic,
                            "partition": tp.partition,
                            "committed": committed,
                            "end": ends[tp],
                            "lag": max(0, ends[tp] - committed),
                        }
                    )
            finally:
                reader.close(autocommit=False)
    finally:
        probe.close()
    return rows


def _exists(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (f'"{schema}".{table}',)).fetchone()
    return bool(row and row[0] is not None)


def relay_backlog(conn: psycopg.Connection[Any], namespace: str) -> list[dict[str, Any]]:
    """Per relay: the store's newest notification id, the last published, the backlog."""
    rows = []
    for service in RELAYS:
        schema = f"{namespace}{service}"
        tables = audited_tables(conn, schema)
        if tables is None:
            continue
        stored = conn.execute(
            sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(
                sql.Identifier(schema, tables[0])
            )
        ).fetchone()
        published: Any = None
        if _exists(conn, schema, "relay_position"):
            published = conn.execute(
                sql.SQL("SELECT max(position) FROM {}").format(
                    sql.Identifier(schema, "relay_position")
                )
            ).fetchone()
        newest = int(stored[0]) if stored else 0
        last = int(published[0]) if published and published[0] is not None else 0
        rows.append(
            {"relay": service, "stored": newest, "published": last, "backlog": newest - last}
        )
    return rows


def dead_letter_counts(conn: psycopg.Connection[Any], namespace: str) -> dict[str, int]:
    schema = dead_letter_schema(namespace)
    counts = dict.fromkeys(STATUSES, 0)
    if _exists(conn, schema, "dead_letters"):
        query = sql.SQL("SELECT status, count(*) FROM {} GROUP BY status").format(
            sql.Identifier(schema, "dead_letters")
        )
        counts.update({str(s): int(n) for s, n in conn.execute(query).fetchall()})
    return counts


def checkpoints(conn: psycopg.Connection[Any], namespace: str) -> list[dict[str, Any]]:
    out = []
    for service in (*RELAYS, "stats"):
        checkpoint = latest_checkpoint(conn, f"{namespace}{service}")
        if checkpoint is not None:
            out.append({"store": service, "size": checkpoint.size, "at": checkpoint.at})
    return out


def collect(
    data_dir: Path, database_url: str | None, bootstrap: str | None, namespace: str | None
) -> dict[str, Any]:
    """Everything `baton status` shows; a part that cannot be reached says so."""
    procs = processes(data_dir)
    namespace = procs.get("namespace", "") if namespace is None else namespace
    bootstrap = bootstrap or procs.get("kafka_bootstrap_servers")
    status: dict[str, Any] = {"at": datetime.now(UTC).isoformat(), "namespace": namespace}
    status.update(running=procs["running"], processes=procs["processes"])
    status["consumers"] = _part(lambda: consumer_lag(bootstrap, namespace) if bootstrap else [])
    for row in status["consumers"] if isinstance(status["consumers"], list) else []:
        row["replica"] = owner_of(row["service"], row["partition"], procs["processes"])
    if database_url is None:
        status["errors"] = {"database": "not running"}
        return status
    try:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=3) as conn:
            status["relays"] = relay_backlog(conn, namespace)
            status["quarantined"] = sum(r["count"] for r in quarantine_summary(conn, namespace))
            status["dead_letters"] = dead_letter_counts(conn, namespace)
            status["checkpoints"] = checkpoints(conn, namespace)
    except psycopg.Error as exc:
        status["errors"] = {"database": type(exc).__name__}
    return status


def _part(read: Any) -> Any:
    started = time.monotonic()
    try:
        return read()
    except Exception as exc:  # the broker down is a status to show, not a crash
        return {"error": f"{type(exc).__name__} after {time.monotonic() - started:.1f} s"}


def _uptime(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def render(status: dict[str, Any]) -> str:
    """The readable table."""
    lines = [f"Baton status 运行状态 ({'running' if status['running'] else 'not running'})"]
    lines.append(
        f"{'process':<14}{'pid':>8}  {'uptime':>9}  {'restarts':>8}  "
        f"{'replica':<8}{'partitions':<12}last exit"
    )
    for name, proc in status["processes"].items():
        pid = proc.get("pid") if proc.get("alive") else "-"
        replica = proc.get("replica")
        of, parts = "", ""
        if replica:
            of = f"{replica['index']}/{replica['count']}"
            parts = ",".join(map(str, replica["partitions"])) or "none"
        lines.append(
            f"{name:<14}{pid!s:>8}  {_uptime(proc.get('uptime_seconds', 0)):>9}  "
            f"{proc.get('restarts', 0):>8}  {of:<8}{parts:<12}{proc.get('last_exit') or ''}"
        )
    lines.append("")
    consumers_part = status.get("consumers")
    lines.append(
        f"{'consumer':<28}{'topic':<28}{'part':>4}{'committed':>11}{'end':>9}{'lag':>7}  replica"
    )
    if isinstance(consumers_part, dict):
        lines.append(f"  broker: {consumers_part['error']}")
    for row in consumers_part or []:
        lines.append(
            f"{row['consumer']:<28}{row['topic']:<28}{row['partition']:>4}"
            f"{row['committed']:>11}{row['end']:>9}{row['lag']:>7}  {row.get('replica') or ''}"
        )
    lines.append("")
    for row in status.get("relays", []):
        lines.append(
            f"relay {row['relay']:<12} stored {row['stored']:>8}  published "
            f"{row['published']:>8}  backlog {row['backlog']:>6}"
        )
    if "quarantined" in status:
        letters = status["dead_letters"]
        lines.append(f"quarantined 隔离: {status['quarantined']}")
        lines.append(
            f"dead letters 死信: {letters['dead']} dead, {letters['retry']} to retry, "
            f"{letters['retried']} retried, {letters['discarded']} discarded"
        )
    for row in status.get("checkpoints", []):
        lines.append(f"checkpoint {row['store']:<12} size {row['size']:>8}  at {row['at']}")
    for part, error in status.get("errors", {}).items():
        lines.append(f"{part}: {error}")
    return "\n".join(lines)
