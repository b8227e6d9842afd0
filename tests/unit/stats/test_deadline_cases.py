"""Supervision's deadline events reach the case they are about (the rebuild's pairing)."""

from __future__ import annotations

import uuid
from typing import Any

from domain.contracts import Envelope, SupervisionEvents
from services.stats.deadlines import DeadlineCases
from services.stats.facts import SUPERVISION_HANDLERS, Context
from services.stats.handlers import deadline_cancelled, deadline_closed, deadline_opened

CONTEXT = Context(lambda code: [code])


def event(event_type: str, aggregate: str, source: str = "supervision", **payload: Any):
    return Envelope(
        event_id=str(uuid.uuid4()),
        type=event_type,
        case_id=aggregate,
        sequence=1,
        organ_code="620102",
        actor="scheduler",
        occurred_at="2025-03-01T10:00:00+08:00",
        source=source,
        payload=payload,
    )


def test_the_table_takes_the_deadline_events_by_their_contract_names():
    assert set(SUPERVISION_HANDLERS) == {
        SupervisionEvents.DEADLINE_OPENED,
        SupervisionEvents.DEADLINE_MET,
        SupervisionEvents.DEADLINE_CANCELLED,
        SupervisionEvents.DEADLINE_WARNED,
    }


def test_later_events_of_a_deadline_are_addressed_to_the_case_of_its_opening():
    cases = DeadlineCases()
    deadline, case = str(uuid.uuid4()), str(uuid.uuid4())
    opened = cases.addressed(event(SupervisionEvents.DEADLINE_OPENED, deadline, case_id=case))
    warned = cases.addressed(event(SupervisionEvents.DEADLINE_WARNED, deadline, level="red"))
    assert opened is not None and warned is not None
    assert (opened.case_id, warned.case_id) == (case, case)
    assert warned.payload == {"level": "red"}
    assert cases.rows() == [[deadline, case]]
    # A deadline whose opening was never seen has no case to count under.
    assert cases.addressed(event(SupervisionEvents.DEADLINE_MET, str(uuid.uuid4()))) is None
    # Other topics' envelopes already name their case.
    intake = event("Petition.Registered", case, source="intake")
    assert cases.addressed(intake) is intake


def test_met_late_counts_as_missed_and_cancelled_as_neither():
    opened = deadline_opened(
        deadline_opened(None, event("x", "d"), CONTEXT), event("x", "d"), CONTEXT
    )
    on_time = deadline_closed(opened, event("x", "d", days_late=0), CONTEXT)
    late = deadline_closed(on_time, event("x", "d", days_late=3), CONTEXT)
    assert (late["deadlines_open"], late["deadlines_met"], late["deadlines_missed"]) == (0, 1, 1)
    reopened = deadline_opened(late, event("x", "d"), CONTEXT)
    cancelled = deadline_cancelled(reopened, event("x", "d", reason="diverted"), CONTEXT)
    assert (cancelled["deadlines_open"], cancelled["deadlines_met"]) == (0, 1)
    assert cancelled["deadlines_missed"] == 1 and cancelled["overdue"] is False
