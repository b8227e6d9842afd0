"""A deadline one case runs against 办理期限: opened and met by upstream events, warned once
per colour, recomputed when a calendar year is published, extended 延期 with a leader's
approval, suspended and resumed.

The deadline's "basis" is the day counting starts from and the days allowed from it; the
due date is always the basis counted under a calendar, so publishing a year or resuming a
suspension only changes the basis or the calendar, never the counting rule. Each version
records the calendar and rules versions its date was computed under.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.calendar import WorkingCalendar
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.guards import aware, require_text
from domain.rules import DeadlineKind, Rules
from domain.supervision.keys import deadline_id
from domain.vocabulary import WarningLevel, parse

__all__ = ["CaseDeadline", "DeadlineStatus"]

MAX_EXTENSION_DAYS = 250


class DeadlineStatus:
    """Where a deadline stands."""

    OPEN = "open"
    MET = "met"
    CANCELLED = "cancelled"


class CaseDeadline(Aggregate):
    """One clock of one case: kind, reference, responsible organ and due date."""

    @event("Opened")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - derived from case, kind and reference
        case_id: str,
        kind: str,
        ref: str | None,
        responsible_organ: str,
        start: str,
        working_days: int,
        due: str,
        provisional: bool,
        calendar_version: str,
        rules_version: str,
        subject: dict[str, Any],
        at: datetime,
        organ_code: str,
        actor: str,
    ) -> None:
        self.case_id = case_id
        self.kind = kind
        self.ref = ref
        self.responsible_organ = responsible_organ
        self.opened_on = date.fromisoformat(start)
        self.basis_start = date.fromisoformat(start)
        self.basis_days = working_days
        self.due = date.fromisoformat(due)
        self.provisional = provisional
        self.calendar_version = calendar_version
        self.rules_version = rules_version
        self.subject = dict(subject)
        self.status = DeadlineStatus.OPEN
        self.warnings: dict[str, str] = {}
        self.met_on: date | None = None
        self.days_late: int | None = None
        self.suspended_on: date | None = None
        self.extensions: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []

    @classmethod
    def open(
        cls,
        case_id: UUID | str,
        kind: DeadlineKind | str,
        start: date,
        *,
        responsible_organ: str,
        calendar: WorkingCalendar,
        rules: Rules,
        at: datetime,
        actor: str,
        ref: str | None = None,
        days: int | None = None,
        subject: dict[str, Any] | None = None,
    ) -> CaseDeadline:
        """Open the `kind` deadline counted from `start` (the day itself does not count)."""
        kind = parse(DeadlineKind, kind)
        computed = rules.deadline(kind, start, calendar, days=days)
        return cls(
            id=deadline_id(case_id, kind.value, ref),
            case_id=str(case_id),
            kind=kind.value,
            ref=ref,
            responsible_organ=responsible_organ,
            start=start.isoformat(),
            working_days=rules.days_for(kind) if days is None else days,
            due=computed.date.isoformat(),
            provisional=computed.provisional,
            calendar_version=computed.calendar_version,
            rules_version=rules.version,
            subject=dict(subject or {}),
            at=aware(at),
            organ_code=responsible_organ,
            actor=actor,
        )

    # --- reading ---------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status == DeadlineStatus.OPEN

    @property
    def is_running(self) -> bool:
        """Open and not suspended: its clock runs and it may be warned."""
        return self.is_open and self.suspended_on is None

    def level_on(self, today: date, calendar: WorkingCalendar, rules: Rules) -> WarningLevel:
        """The colour this deadline shows on `today` (green when it is not running)."""
        if not self.is_running:
            return WarningLevel.GREEN
        return rules.warning_level(calendar, self.opened_on, self.due, today)

    def warning_due(self, today: date, calendar: WorkingCalendar, rules: Rules) -> str | None:
        """The warning the scheduler should record today, if any (each colour at most once)."""
        level = self.level_on(today, calendar, rules)
        if level == WarningLevel.RED and "red" not in self.warnings:
            return "red"
        if level == WarningLevel.YELLOW and not self.warnings:
            return "yellow"
        return None

    def _compute(self, calendar: WorkingCalendar, rules: Rules, start: date, days: int) -> Any:
        return rules.deadline(DeadlineKind(self.kind), start, calendar, days=days)

    # --- commands --------------------------------------------------------------------

    def _require_open(self) -> None:
        if not self.is_open:
            raise Conflict(
                "deadline_closed",
                "该期限已办结或已撤销",
                "This deadline is already met or cancelled",
                deadline_id=str(self.id),
                state=self.status,
            )

    def meet(self, on: date, calendar: WorkingCalendar, *, at: datetime, actor: str) -> bool:
        """Met on `on` (how many working days late, if late); False when already closed."""
        if not self.is_open:
            return False
        late = max(0, calendar.working_days_between(self.due, on))
        self._met(met_on=on.isoformat(), days_late=late, at=aware(at), actor=actor,
                  organ_code=self.responsible_organ)
        return True

    def cancel(self, reason: str, *, at: datetime, actor: str) -> bool:
        """No longer owed (e.g. the report was diverted); False when already closed."""
        if not self.is_open:
            return False
        self._cancelled(reason=require_text(reason, "reason", 500), at=aware(at), actor=actor,
                        organ_code=self.responsible_organ)
        return True

    def warn(self, level: str, today: date, *, at: datetime, actor: str) -> None:
        """Record a yellow or red warning 预警; each colour fires at most once."""
        if level not in (WarningLevel.YELLOW.value, WarningLevel.RED.value):
            raise InvalidInput("warning_level_invalid", "预警等级无效", "Unknown warning level",
                               level=str(level))
        self._require_open()
        if level in self.warnings:
            raise Conflict("warning_already_given", "该预警已发出", "This warning was given",
                           level=level, deadline_id=str(self.id))
        self._warned(level=level, on=today.isoformat(), due=self.due.isoformat(),
                     at=aware(at), actor=actor, organ_code=self.responsible_organ)

    def recompute(self, calendar: WorkingCalendar, rules: Rules, *, at: datetime,
                  actor: str) -> bool:
        """Count the basis again under `calendar` (a year was published); False if unchanged."""
        if not self.is_open or not self.provisional:
            return False
        computed = self._compute(calendar, rules, self.basis_start, self.basis_days)
        if computed.calendar_version == self.calendar_version:
            return False
        self._recomputed(due=computed.date.isoformat(), provisional=computed.provisional,
                         calendar_version=computed.calendar_version,
                         previous_due=self.due.isoformat(),
                         at=aware(at), actor=actor, organ_code=self.responsible_organ)
        return True

    def rebase(self, start: date, calendar: WorkingCalendar, rules: Rules, reason: str, *,
               at: datetime, actor: str) -> bool:
        """Count again from a corrected start (a corrected receipt time); False when there is
        nothing to move, or the clock was suspended (its basis is no longer the start)."""
        if (not self.is_open or start == self.opened_on or self.suspended_on is not None
                or self.basis_start != self.opened_on):
            return False
        computed = self._compute(calendar, rules, start, self.basis_days)
        self._rebased(start=start.isoformat(), due=computed.date.isoformat(),
                      provisional=computed.provisional,
                      calendar_version=computed.calendar_version,
                      reason=require_text(reason, "reason", 500), at=aware(at), actor=actor,
                      organ_code=self.responsible_organ)
        return True

    def extend(self, days: int, reason: str, approver: Actor, calendar: WorkingCalendar,
               rules: Rules, *, at: datetime) -> None:
        """Extend by `days` 延期, with the approval and reason of a leader in charge."""
        if (isinstance(days, bool) or not isinstance(days, int)
                or not 0 < days <= MAX_EXTENSION_DAYS):
            raise InvalidInput("extension_days_invalid",
                               f"延期天数须为 1 到 {MAX_EXTENSION_DAYS} 的整数",
                               f"Extension days must be 1 to {MAX_EXTENSION_DAYS}", days=str(days))
        reason = require_text(reason, "reason", 500)
        if not approver.is_leader:
            raise Forbidden("extension_needs_leader", "延期须经分管领导批准",
                            "An extension needs a leader's approval")
        self._require_open()
        computed = self._compute(calendar, rules, self.basis_start, self.basis_days + days)
        self._extended(days=days, reason=reason, approved_by=approver.name,
                       due=computed.date.isoformat(), provisional=computed.provisional,
                       calendar_version=computed.calendar_version, at=aware(at),
                       actor=approver.name, organ_code=approver.organ_code)

    def suspend(self, on: date, reason: str, *, at: datetime, actor: Actor) -> None:
        """Stop the clock 中止 from `on`."""
        reason = require_text(reason, "reason", 500)
        self._require_open()
        if self.suspended_on is not None:
            raise Conflict("deadline_suspended", "该期限已中止", "This deadline is suspended")
        self._suspended(on=on.isoformat(), reason=reason, at=aware(at), actor=actor.username,
                        organ_code=actor.organ_code)

    def resume(self, on: date, calendar: WorkingCalendar, rules: Rules, *, at: datetime,
               actor: Actor) -> None:
        """Restart the clock from `on` with the working days that were left."""
        self._require_open()
        if self.suspended_on is None:
            raise Conflict("deadline_not_suspended", "该期限未中止",
                           "This deadline is not suspended")
        if on < self.suspended_on:
            raise InvalidInput("resume_before_suspension", "恢复日期早于中止日期",
                               "The clock cannot resume before it was suspended")
        used = max(0, calendar.working_days_between(self.basis_start, self.suspended_on))
        left = max(0, self.basis_days - used)
        computed = self._compute(calendar, rules, on, left)
        self._resumed(on=on.isoformat(), working_days=left, due=computed.date.isoformat(),
                      provisional=computed.provisional,
                      calendar_version=computed.calendar_version, at=aware(at),
                      actor=actor.username, organ_code=actor.organ_code)

    # --- events ----------------------------------------------------------------------

    def _note(self, what: str, at: datetime, actor: str, **details: Any) -> None:
        self.history.append({"event": what, "at": at.isoformat(), "actor": actor, **details})

    @event("Met")
    def _met(self, met_on: str, days_late: int, at: datetime, actor: str,
             organ_code: str) -> None:
        self.status = DeadlineStatus.MET
        self.met_on = date.fromisoformat(met_on)
        self.days_late = days_late
        self._note("met", at, actor, met_on=met_on, days_late=days_late)

    @event("Cancelled")
    def _cancelled(self, reason: str, at: datetime, actor: str, organ_code: str) -> None:
        self.status = DeadlineStatus.CANCELLED
        self._note("cancelled", at, actor, reason=reason)

    @event("Warned")
    def _warned(self, level: str, on: str, due: str, at: datetime, actor: str,
                organ_code: str) -> None:
        self.warnings[level] = on
        self._note("warned", at, actor, level=level, on=on)

    @event("Recomputed")
    def _recomputed(self, due: str, provisional: bool, calendar_version: str, previous_due: str,
                    at: datetime, actor: str, organ_code: str) -> None:
        self.due = date.fromisoformat(due)
        self.provisional = provisional
        self.calendar_version = calendar_version
        self._note("recomputed", at, actor, due=due, previous_due=previous_due)

    @event("Rebased")
    def _rebased(self, start: str, due: str, provisional: bool, calendar_version: str,
                 reason: str, at: datetime, actor: str, organ_code: str) -> None:
        self.opened_on = self.basis_start = date.fromisoformat(start)
        self.due = date.fromisoformat(due)
        self.provisional = provisional
        self.calendar_version = calendar_version
        self._note("rebased", at, actor, start=start, due=due, reason=reason)

    @event("Extended")
    def _extended(self, days: int, reason: str, approved_by: str, due: str, provisional: bool,
                  calendar_version: str, at: datetime, actor: str, organ_code: str) -> None:
        self.basis_days += days
        self.due = date.fromisoformat(due)
        self.provisional = provisional
        self.calendar_version = calendar_version
        self.extensions.append({"days": days, "reason": reason, "approved_by": approved_by})
        self._note("extended", at, actor, days=days, due=due)

    @event("Suspended")
    def _suspended(self, on: str, reason: str, at: datetime, actor: str,
                   organ_code: str) -> None:
        self.suspended_on = date.fromisoformat(on)
        self._note("suspended", at, actor, on=on, reason=reason)

    @event("Resumed")
    def _resumed(self, on: str, working_days: int, due: str, provisional: bool,
                 calendar_version: str, at: datetime, actor: str, organ_code: str) -> None:
        self.basis_start = date.fromisoformat(on)
        self.basis_days = working_days
        self.suspended_on = None
        self.due = date.fromisoformat(due)
        self.provisional = provisional
        self.calendar_version = calendar_version
        self._note("resumed", at, actor, on=on, due=due)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deadline_id": str(self.id),
            "case_id": self.case_id,
            "kind": self.kind,
            "ref": self.ref,
            "responsible_organ": self.responsible_organ,
            "opened_on": self.opened_on.isoformat(),
            "due": self.due.isoformat(),
            "provisional": self.provisional,
            "calendar_version": self.calendar_version,
            "rules_version": self.rules_version,
            "status": self.status,
            "suspended_on": self.suspended_on.isoformat() if self.suspended_on else None,
            "warnings": dict(self.warnings),
            "met_on": self.met_on.isoformat() if self.met_on else None,
            "days_late": self.days_late,
            "extensions": list(self.extensions),
            "subject": dict(self.subject),
            "history": list(self.history),
            "version": self.version,
        }
