"""Upstream events as supervision's consumer receives them, for the tests here."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from domain.contracts import Envelope
from domain.guards import CHINA_TZ

T0 = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)
COUNTY = "620102"


def envelope(type_: str, case_id: str, n: int, source: str, **payload) -> Envelope:
    """Event `n` of a case from `source`, at T0, by a clerk of the county."""
    return Envelope(event_id=str(uuid4()), type=type_, case_id=case_id, sequence=n,
                    organ_code=COUNTY, actor="clerk", occurred_at=T0.isoformat(),
                    source=source, payload=payload, notification_id=n)
