"""The scheduler: warnings 预警, automatic reminders 催办 and escalations, from the clock.

Each run reads "today" from the application's injected clock and records what is due as
a new version of the aggregate concerned. Two schedulers (or a restart in the middle of a
run) may both try: the second save collides on the aggregate's version and is dropped,
so each warning, reminder and escalation is recorded exactly once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError

from domain.errors import Conflict
from domain.supervision.deadline import CaseDeadline
from domain.supervision.evaluation import MonthlyEvaluation
from domain.supervision.order import SupervisionOrder
from services.supervision.application import SYSTEM, SupervisionApplication

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one run recorded."""

    warnings: list[tuple[str, str]] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)


def _save(app: SupervisionApplication, aggregate: Any) -> bool:
    try:
        app.save(aggregate)
    except IntegrityError:
        return False  # someone else recorded it first
    return True


def tick(app: SupervisionApplication) -> TickReport:
    """Record every warning, automatic reminder and escalation due today."""
    app.catch_up()
    now, today = app.now(), app.today()
    calendar, rules = app.calendar, app.rules
    report = TickReport()
    for listed in list(app.index.deadlines()):
        if listed.warning_due(today, calendar, rules) is None:
            continue
        deadline = app.load_or_none(CaseDeadline, listed.id)
        level = deadline.warning_due(today, calendar, rules) if deadline else None
        if deadline is None or level is None:
            continue
        deadline.warn(level, today, at=now, actor=SYSTEM)
        if _save(app, deadline):
            report.warnings.append((str(deadline.id), level))
    for listed_order in list(app.index.orders()):
        if not listed_order.reminder_due(today, calendar, app.config.reminder_days_before):
            continue
        order = app.load_or_none(SupervisionOrder, listed_order.id)
        if order is None or not order.reminder_due(today, calendar,
                                                   app.config.reminder_days_before):
            continue
        order.remind_automatically(at=now)
        if _save(app, order):
            report.reminders.append(str(order.id))
    for listed_evaluation in list(app.index.evaluations()):
        if not listed_evaluation.items_overdue(today):
            continue
        evaluation = app.load_or_none(MonthlyEvaluation, listed_evaluation.id)
        if evaluation is None:
            continue
        escalated = evaluation.escalate_overdue(today, at=now)
        if escalated and _save(app, evaluation):
            report.escalations.extend(escalated)
    app.catch_up()
    return report


def scheduler_worker(app: SupervisionApplication, period_seconds: float) -> tuple[str, Any]:
    """A background loop running `tick` every `period_seconds` until stopped."""

    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                tick(app)
            except (Conflict, IntegrityError):
                log.info("scheduler lost a race; the next run picks it up")
            except Exception:
                log.exception("scheduler run failed")
            stop.wait(period_seconds)

    return "supervision-scheduler", run
