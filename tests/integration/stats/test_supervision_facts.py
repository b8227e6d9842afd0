"""Supervision's deadline events in the stats facts on PostgreSQL: addressed to their case
through the deadline's opening, counted as met, missed or cancelled, with the worst
warning; the live consumer and a bulk load (the rebuild's path) give the same answers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from domain.contracts import Envelope, PetitionEvents, SupervisionEvents
from domain.supervision.keys import deadline_id
from infra.reference_data import load_org_tree
from services.stats.application import StatsApplication

pytestmark = pytest.mark.integration

TREE = load_org_tree()
CHINA = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2025, 3, 3)


class Events:
    """Envelopes as the relays publish them, numbered per topic."""

    def __init__(self) -> None:
        self.positions = {"intake": 0, "supervision": 0}
        self.all: list[tuple[Envelope, str]] = []

    def add(self, source: str, event_type: str, aggregate: str, organ: str, **payload: Any):
        self.positions[source] += 1
        envelope = Envelope(
            event_id=str(uuid.uuid4()),
            type=event_type,
            case_id=aggregate,
            sequence=self.positions[source],
            organ_code=organ,
            actor="scheduler",
            occurred_at=f"{DAY}T{8 + self.positions[source] % 10:02d}:00:00+08:00",
            source=source,
            payload=payload,
            notification_id=self.positions[source],
        )
        self.all.append((envelope, f"{source}.events#0"))

    def case(self, organ: str) -> str:
        case_id = str(uuid.uuid4())
        self.add(
            "intake",
            PetitionEvents.REGISTERED,
            case_id,
            organ,
            channel="letter",
            received_at=f"{DAY}T09:00:00+08:00",
            registered_at=f"{DAY}T09:30:00+08:00",
        )
        return case_id

    def deadline(self, case_id: str, organ: str, kind: str, *then: tuple[str, dict]) -> str:
        aggregate = str(deadline_id(case_id, kind))
        self.add(
            "supervision",
            SupervisionEvents.DEADLINE_OPENED,
            aggregate,
            organ,
            case_id=case_id,
            kind=kind,
            at=f"{DAY}T10:00:00+08:00",
        )
        for event_type, payload in then:
            self.add("supervision", event_type, aggregate, organ, **payload)
        return aggregate


@pytest.fixture
def events() -> Events:
    events = Events()
    on_time, late, cancelled = events.case("620102"), events.case("620102"), events.case("6201")
    events.deadline(
        on_time, "620102", "screening", (SupervisionEvents.DEADLINE_MET, {"days_late": 0})
    )
    events.deadline(
        late,
        "620102",
        "screening",
        (SupervisionEvents.DEADLINE_WARNED, {"level": "yellow"}),
        (SupervisionEvents.DEADLINE_WARNED, {"level": "red"}),
        (SupervisionEvents.DEADLINE_MET, {"days_late": 2}),
    )
    # Still open and red: an overdue case.
    events.deadline(
        late, "620102", "handling", (SupervisionEvents.DEADLINE_WARNED, {"level": "red"})
    )
    events.deadline(
        cancelled,
        "6201",
        "screening",
        (SupervisionEvents.DEADLINE_CANCELLED, {"reason": "diverted"}),
    )
    # A deadline whose opening stats never saw (before it subscribed): nothing to count.
    events.add(
        "supervision", SupervisionEvents.DEADLINE_MET, str(uuid.uuid4()), "620102", days_late=9
    )
    return events


@pytest.fixture
def stats(database_url: str, unique_schema: str) -> Iterator[StatsApplication]:
    application = StatsApplication(database_url, schema=unique_schema, tree=TREE)
    yield application
    application.close()


def answer(stats: StatsApplication) -> dict[str, Any]:
    figures = stats.case_statistics("62", DAY, DAY, ["SUBORDINATE", "WARNING"])
    status = stats.subordinate_status("6201", DAY, DAY)
    with stats.pool.connection() as conn:
        rows = conn.execute(
            "SELECT organ_code, deadlines_open, deadlines_met, deadlines_missed, warning, overdue "
            "FROM case_fact ORDER BY organ_code, deadlines_met, deadlines_missed"
        ).fetchall()
        pairs = conn.execute("SELECT count(*) FROM deadline_case").fetchone()
    return {
        "groups": {tuple(g["keys"]): g["count"] for g in figures["groups"]},
        "onTime": figures["rates"]["onTime"],
        "units": {u["organ"]: (u["holding"], u["overdue"], u["red"]) for u in status["units"]},
        "rows": rows,
        "pairs": pairs[0] if pairs else None,
    }


def test_deadlines_and_warnings_reach_their_cases_live_and_in_a_rebuild(stats, events):
    for envelope, tracking in events.all:
        stats.handle(envelope, tracking)
    live = answer(stats)

    assert live["rows"] == [
        ("6201", 0, 0, 0, None, False),  # cancelled: neither met nor missed
        ("620102", 1, 0, 1, "red", True),  # one met two days late, one open and red
        ("620102", 0, 1, 0, None, False),
    ]
    assert live["onTime"] == {"numerator": 1, "denominator": 2, "percent": 50.0}
    assert live["groups"] == {("6201", "none"): 2, ("6201", "red"): 1}
    assert live["pairs"] == 4  # the deadline never opened is not paired with any case
    # Held by the district (registered, not screened), overdue and red.
    assert live["units"]["620102"] == (2, 1, 1)
    assert live["units"]["6201"][1:] == (0, 0)

    # Replayed again, nothing changes (exactly once per tracking position).
    for envelope, tracking in events.all:
        stats.handle(envelope, tracking)
    assert answer(stats) == live

    # The rebuild's path: the same events projected in memory and written with COPY.
    applied = stats.load([envelope for envelope, _ in events.all], {"intake.events#0": 3})
    assert applied == len(events.all)
    assert answer(stats) == live


def test_cases_folded_in_shares_give_the_same_rows(stats, events):
    """A rebuild's workers each fold a share of the cases from every supervision event
    (a deadline names its case only when opened); their encoded rows together are the
    live consumer's."""
    from services.stats.bulk import Projection, write_encoded
    from services.stats.logreader import share_of

    for envelope, tracking in events.all:
        stats.handle(envelope, tracking)
    live = answer(stats)
    envelopes = [envelope for envelope, _ in events.all]
    shares = 3
    folded = []
    for share in range(shares):
        projection = Projection(
            stats.projector,
            keep=lambda case_id, share=share: share_of(case_id, shares) == share,
            count_unaddressed=share == 0,
        )
        for envelope in envelopes:
            projection.apply(envelope)
        folded.append(projection)
    assert sum(p.applied for p in folded) == len(envelopes)
    cases = {e.case_id for e in envelopes if e.source == "intake"}
    assert sum(len(p.parts) for p in folded) == len(cases)
    with stats.pool.connection() as conn:
        write_encoded(
            conn,
            [p.encoded(deadlines=n == 0) for n, p in enumerate(folded)],
            {"intake.events#0": 3},
        )
    assert answer(stats) == live
