"""Which case a supervision event is about.

Supervision's envelopes carry the aggregate's own id (a deadline's derived id), not the
case's; the case is named only in the deadline's opening event. Stats keeps that pairing
(`deadline_case`) and re-addresses every later event of the deadline to its case, so the
supervision part sits in the case's fact row like the other parts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from domain.contracts import Envelope, SupervisionEvents

DDL = """
CREATE TABLE IF NOT EXISTS deadline_case (
    deadline_id text PRIMARY KEY,
    case_id text NOT NULL
);
"""


def _opened_case(envelope: Envelope) -> str | None:
    if envelope.type != SupervisionEvents.DEADLINE_OPENED:
        return None
    case_id = envelope.payload.get("case_id")
    return str(case_id) if case_id else None


def _for_case(envelope: Envelope, case_id: str) -> Envelope:
    return dataclasses.replace(envelope, case_id=case_id)


def addressed(conn: Any, envelope: Envelope) -> Envelope | None:
    """The envelope addressed to its case (recording an opening); None when the deadline's
    opening was never seen, so there is no case to count it under."""
    if envelope.source != "supervision":
        return envelope
    opened = _opened_case(envelope)
    if opened is not None:
        conn.execute(
            "INSERT INTO deadline_case (deadline_id, case_id) VALUES (%s, %s) "
            "ON CONFLICT (deadline_id) DO NOTHING",
            (envelope.case_id, opened),
        )
        return _for_case(envelope, opened)
    row = conn.execute(
        "SELECT case_id FROM deadline_case WHERE deadline_id = %s", (envelope.case_id,)
    ).fetchone()
    return _for_case(envelope, row[0]) if row else None


class DeadlineCases:
    """The same pairing kept in memory, for a rebuild."""

    def __init__(self) -> None:
        self.case_of: dict[str, str] = {}

    def addressed(self, envelope: Envelope) -> Envelope | None:
        if envelope.source != "supervision":
            return envelope
        opened = _opened_case(envelope)
        if opened is not None:
            self.case_of.setdefault(envelope.case_id, opened)
        case_id = self.case_of.get(envelope.case_id)
        return _for_case(envelope, case_id) if case_id else None

    def rows(self) -> list[list[str]]:
        return [[deadline, case] for deadline, case in self.case_of.items()]
