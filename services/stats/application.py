"""Stats: read models built from `intake.events` — a summary row per case and per-organ
daily counts by channel."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from domain.contracts import Envelope
from domain.errors import InvalidInput
from infra.eventstore import connect, connection_pool, ensure_schema

# Counting days follow the commissions' calendar, not UTC.
CHINA = ZoneInfo("Asia/Shanghai")
ORGAN_CODE = re.compile(r"^[0-9]{2}([0-9A-Z]{0,10})$")
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

# What each intake event says about a case's status, as a reporter-independent word.
STATUS_BY_EVENT = {
    "Petition.Registered": "registered",
    "Petition.Accepted": "accepted",
    "Petition.Diverted": "diverted",
    "Petition.NotAccepted": "not_accepted",
    "Petition.LinkedAsRepeat": "repeat",
}


def _day_of(timestamp: str) -> dt.date:
    moment = dt.datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment.astimezone(CHINA).date()


def validate_organ(organ: str) -> None:
    if not ORGAN_CODE.match(organ):
        raise InvalidInput(
            "organ_code_invalid",
            "机关代码格式错误",
            "The organ code is not a valid code",
            organ=organ[:32],
        )


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
        payload = envelope.payload
        if envelope.type == "Petition.Registered":
            inserted = conn.execute(
                "INSERT INTO case_summary (case_id, organ_code, channel, received_on, "
                "registration_number, status, last_event_type, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, 'registered', %s, %s) "
                "ON CONFLICT (case_id) DO NOTHING",
                (
                    envelope.case_id,
                    envelope.organ_code,
                    payload["channel"],
                    _day_of(payload["received_at"]),
                    payload.get("registration_number", ""),
                    envelope.type,
                    envelope.occurred_at,
                ),
            ).rowcount
            if inserted:
                conn.execute(
                    "INSERT INTO organ_daily (organ_code, day, channel, count) "
                    "VALUES (%s, %s, %s, 1) ON CONFLICT (organ_code, day, channel) "
                    "DO UPDATE SET count = organ_daily.count + 1",
                    (envelope.organ_code, _day_of(payload["received_at"]), payload["channel"]),
                )
        elif envelope.type in STATUS_BY_EVENT:
            conn.execute(
                "UPDATE case_summary SET status = %s, last_event_type = %s, updated_at = %s "
                "WHERE case_id = %s",
                (
                    STATUS_BY_EVENT[envelope.type],
                    envelope.type,
                    envelope.occurred_at,
                    envelope.case_id,
                ),
            )

    def organ_stats(self, organ: str, start: dt.date, end: dt.date) -> dict[str, Any]:
        """Reports received by the organ and its whole subtree between two days, inclusive."""
        validate_organ(organ)
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
