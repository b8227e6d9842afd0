"""Stats: read models built from `intake.events` — a summary row per case and per-organ
daily counts by channel.

Events reach the read models through `HANDLERS`, a `{event type: handler}` table keyed by
the published contract's names; a case's status is the petition's own stage word."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from domain.contracts import Envelope, PetitionEvents
from domain.errors import InvalidInput
from domain.guards import CHINA_TZ, require_organ_code
from domain.petition import Stage
from infra.eventstore import connect, connection_pool, ensure_schema

MAX_RANGE_DAYS = 3660

_SCHEMA = """
CREATE TABLE IF NOT EXISTS case_summary (
    case_id text PRIMARY KEY,
    organ_code text NOT NULL,
    channel text NOT NULL,
    received_on date NOT NULL,
    registration_number text NOT NULL,
    status text NOT NULL,
    last_event_type text NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS organ_daily (
    organ_code text NOT NULL,
    day date NOT NULL,
    channel text NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (organ_code, day, channel)
);
CREATE TABLE IF NOT EXISTS tracking (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
"""


def _day_of(timestamp: str) -> dt.date:
    # Counting days follow the commissions' calendar, not UTC.
    moment = dt.datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ).date()


def _registered(conn: Any, envelope: Envelope) -> None:
    payload = envelope.payload
    day = _day_of(payload["received_at"])
    inserted = conn.execute(
        "INSERT INTO case_summary (case_id, organ_code, channel, received_on, "
        "registration_number, status, last_event_type, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (case_id) DO NOTHING",
        (
            envelope.case_id,
            envelope.organ_code,
            payload["channel"],
            day,
            payload.get("registration_number", ""),
            Stage.RECEIVED,
            envelope.type,
            envelope.occurred_at,
        ),
    ).rowcount
    if inserted:
        conn.execute(
            "INSERT INTO organ_daily (organ_code, day, channel, count) "
            "VALUES (%s, %s, %s, 1) ON CONFLICT (organ_code, day, channel) "
            "DO UPDATE SET count = organ_daily.count + 1",
            (envelope.organ_code, day, payload["channel"]),
        )


def _stage(stage: str) -> Callable[[Any, Envelope], None]:
    def moved(conn: Any, envelope: Envelope) -> None:
        conn.execute(
            "UPDATE case_summary SET status = %s, last_event_type = %s, updated_at = %s "
            "WHERE case_id = %s",
            (stage, envelope.type, envelope.occurred_at, envelope.case_id),
        )

    return moved


# What stats does with each intake event; the others change no read model.
HANDLERS: dict[str, Callable[[Any, Envelope], None]] = {
    PetitionEvents.REGISTERED: _registered,
    PetitionEvents.ACCEPTED: _stage(Stage.ACCEPTED),
    PetitionEvents.DIVERTED: _stage(Stage.DIVERTED),
    PetitionEvents.NOT_ACCEPTED: _stage(Stage.NOT_ACCEPTED),
    PetitionEvents.LINKED_AS_REPEAT: _stage(Stage.REPEAT),
}


class StatsApplication:
    """Keeps the read models and answers counting questions."""

    def __init__(self, database_url: str, schema: str = "stats") -> None:
        self.database_url = database_url
        self.schema = schema
        ensure_schema(database_url, schema)
        with connect(database_url, schema) as conn:
            conn.execute(_SCHEMA)
        self.pool = connection_pool(database_url, schema)

    def close(self) -> None:
        self.pool.close()

    def handle(self, envelope: Envelope, tracking_name: str) -> None:
        """Apply one intake event and move the tracking row, in one transaction."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT position FROM tracking WHERE name = %s FOR UPDATE", (tracking_name,)
            ).fetchone()
            if row is not None and envelope.notification_id <= row[0]:
                return
            self._apply(conn, envelope)
            conn.execute(
                "INSERT INTO tracking (name, position) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
                (tracking_name, envelope.notification_id),
            )

    def _apply(self, conn: Any, envelope: Envelope) -> None:
        handler = HANDLERS.get(envelope.type)
        if handler is not None:
            handler(conn, envelope)

    def organ_stats(self, organ: str, start: dt.date, end: dt.date) -> dict[str, Any]:
        """Reports received by the organ and its whole subtree between two days, inclusive."""
        require_organ_code(organ)
        if end < start:
            raise InvalidInput(
                "date_range_invalid",
                "结束日期早于开始日期",
                "The end date is before the start date",
            )
        if (end - start).days > MAX_RANGE_DAYS:
            raise InvalidInput(
                "date_range_too_long", "统计区间不得超过十年", "The range may not exceed ten years"
            )
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT channel, sum(count) FROM organ_daily "
                "WHERE organ_code LIKE %s AND day BETWEEN %s AND %s "
                "GROUP BY channel ORDER BY channel",
                (organ + "%", start, end),
            ).fetchall()
        by_channel = [{"channel": channel, "count": int(count)} for channel, count in rows]
        return {
            "organ": organ,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "total": sum(item["count"] for item in by_channel),
            "by_channel": by_channel,
        }

    def case_count(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT count(*) FROM case_summary").fetchone()
        return int(row[0]) if row else 0
