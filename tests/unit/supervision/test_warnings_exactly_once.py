"""1,000 cases across National Day and a year boundary, day by day from an injected clock:
supervision restarts twice, every event arrives twice (and again after each restart), two
schedulers run side by side, and every yellow and red warning fires exactly once; the
set equals a brute-force recomputation from the rules and the calendar."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from domain.contracts import SupervisionEvents, topic_for
from domain.guards import CHINA_TZ
from domain.rules import DeadlineKind
from domain.supervision.deadline import CaseDeadline
from domain.vocabulary import WarningLevel
from infra.reference_data import load_org_tree
from services.supervision.application import SupervisionApplication
from services.supervision.scheduler import tick

from .simulation import Expected, build

FIRST, LAST, END = date(2026, 9, 1), date(2026, 12, 31), date(2027, 6, 30)
RESTARTS = {date(2026, 10, 4), date(2027, 1, 2)}
TREE = load_org_tree()


def brute_force(app: SupervisionApplication, expected: list[Expected]) -> set[tuple]:
    """Walk every day each deadline is open and ask the rules for its colour."""
    rules, calendar = app.rules, app.calendar
    fired = set()
    for e in expected:
        due = rules.deadline(DeadlineKind(e.kind), e.start, calendar).date
        day, seen = e.opened, set()
        while day <= END and (e.closed is None or day < e.closed):
            level = rules.warning_level(calendar, e.start, due, day)
            if level == WarningLevel.RED:
                seen.add("red")
            elif level == WarningLevel.YELLOW and not seen:
                seen.add("yellow")
            day += timedelta(days=1)
        fired |= {(e.case_id, e.kind, e.ref, level) for level in seen}
    return fired


def test_every_warning_fires_exactly_once_and_as_the_rules_say() -> None:
    scenario = build(1000, FIRST, LAST)
    now = [datetime.combine(FIRST, time(8), tzinfo=CHINA_TZ)]

    def start(recorder=None) -> SupervisionApplication:
        return SupervisionApplication(TREE, clock=lambda: now[0], recorder=recorder)

    app = start()
    second = start(app.recorder)  # another scheduler sharing the store
    pending = list(scenario.envelopes)
    delivered = []
    day = FIRST
    while day <= END:
        now[0] = datetime.combine(day, time(23), tzinfo=CHINA_TZ)
        if day in RESTARTS:
            app = start(app.recorder)
            for envelope in delivered:  # a consumer resuming from an older offset
                app.handle(envelope, f"{topic_for(envelope.source)}#0")
        while pending and datetime.fromisoformat(pending[0].occurred_at).date() <= day:
            envelope = pending.pop(0)
            for _ in range(2):
                app.handle(envelope, f"{topic_for(envelope.source)}#0")
            delivered.append(envelope)
        tick(app)
        tick(second)
        day += timedelta(days=1)

    warned = Counter()
    stored = app.recorder.select_notifications(start=1, limit=10**6)
    for notification in stored:
        if notification.topic.endswith(SupervisionEvents.DEADLINE_WARNED):
            level = app.mapper.to_domain_event(notification).level
            warned[(notification.originator_id, level)] += 1
    assert warned and set(warned.values()) == {1}, "each colour exactly once per deadline"

    app.catch_up()
    found = set()
    for (deadline_id, level), _ in warned.items():
        d = app.index.objects[deadline_id]
        assert isinstance(d, CaseDeadline)
        found.add((d.case_id, d.kind, d.ref, level))
    expected = brute_force(app, scenario.expected)
    assert found == expected
    assert {k for _, k, _, lvl in found if lvl == "red"} >= {"acceptance_notice",
                                                            "result_feedback"}
    assert any(d.provisional for d in app.index.deadlines())  # counted into 2027
    assert len(list(app.index.deadlines())) == len(scenario.expected)
