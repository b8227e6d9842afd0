"""A supervision order 督办: an upper organ's demand on a case held in its subtree.

Drafted with a level, requirements and a length in working days; it leaves only once a
leader of the issuing organ approves it, and its due date is computed then. The holding
organ acknowledges it and reports progress; the issuer reminds 催办 (or the scheduler
does, once, a few working days before the due date); it closes when the result is
reported back and accepted, or is escalated.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.calendar import WorkingCalendar
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.guards import aware, require_organ_code, require_text
from domain.rules import DeadlineKind, Rules
from domain.supervision.keys import deadline_id, order_id
from domain.vocabulary import Office, OrderLevel, parse

__all__ = ["OrderStatus", "SupervisionOrder", "in_subtree_below"]

MAX_ORDER_DAYS = 250
SYSTEM = "supervision"


class OrderStatus:
    DRAFT = "draft"
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"
    ESCALATED = "escalated"


def in_subtree_below(organ: str, upper: str) -> bool:
    """Whether `organ` lies strictly below `upper` (a subtree is a code prefix)."""
    return organ != upper and organ.startswith(upper)


class SupervisionOrder(Aggregate):
    """One order: issuer, holder, level, requirements, clock and history."""

    @event("Drafted")
    def __init__(self, *, id: UUID, case_id: str, issuer_organ: str,  # noqa: A002
                 issuer_office: str, holder_organ: str, holder_office: str | None, level: str,
                 requirements: str, working_days: int, transfer_id: str | None,
                 at: datetime, organ_code: str, actor: str) -> None:
        self.case_id = case_id
        self.issuer_organ = issuer_organ
        self.issuer_office = issuer_office
        self.holder_organ = holder_organ
        self.holder_office = holder_office
        self.level = level
        self.requirements = requirements
        self.working_days = working_days
        self.transfer_id = transfer_id
        self.status = OrderStatus.DRAFT
        self.drafted_by = actor
        self.approved_by: str | None = None
        self.start: date | None = None
        self.due: date | None = None
        self.provisional = False
        self.calendar_version: str | None = None
        self.rules_version: str | None = None
        self.auto_reminded = False
        self.reminders = 0
        self.history: list[dict[str, Any]] = [
            {"event": "drafted", "at": at.isoformat(), "actor": actor}
        ]

    @classmethod
    def draft(cls, case_id: UUID | str, issuer: Actor, holder_organ: str,
              holder_office: str | None, level: OrderLevel | str, requirements: str,
              working_days: int, *, at: datetime, ref: str,
              transfer_id: str | None = None) -> SupervisionOrder:
        """An order drafted at the issuer's organ on a case held strictly below it."""
        level = parse(OrderLevel, level)
        requirements = require_text(requirements, "requirements", 2000)
        require_organ_code(holder_organ, "holder_organ")
        if holder_office is not None:
            parse(Office, holder_office)
        if (isinstance(working_days, bool) or not isinstance(working_days, int)
                or not 0 < working_days <= MAX_ORDER_DAYS):
            raise InvalidInput("order_days_invalid",
                               f"督办期限须为 1 到 {MAX_ORDER_DAYS} 个工作日",
                               f"An order's length must be 1 to {MAX_ORDER_DAYS} working days",
                               working_days=str(working_days))
        if not in_subtree_below(holder_organ, issuer.organ_code):
            raise Forbidden("order_outside_subtree", "只能对下级机关承办的案件发出督办",
                            "An order goes only to a case held below the issuing organ",
                            issuer=issuer.organ_code, holder=holder_organ)
        return cls(id=order_id(case_id, ref), case_id=str(case_id),
                   issuer_organ=issuer.organ_code, issuer_office=issuer.office,
                   holder_organ=holder_organ, holder_office=holder_office, level=level.value,
                   requirements=requirements, working_days=working_days,
                   transfer_id=transfer_id, at=aware(at), organ_code=issuer.organ_code,
                   actor=issuer.name)

    @classmethod
    def from_transfer(cls, case_id: UUID | str, transfer_id: str, *, issuer_organ: str,
                      holder_organ: str, holder_office: str | None, level: str,
                      working_days: int, start: date, calendar: WorkingCalendar, rules: Rules,
                      at: datetime) -> SupervisionOrder:
        """Routing's received supervise_down transfer 发函督办: signed off there, issued here."""
        order = cls(id=order_id(case_id, transfer_id), case_id=str(case_id),
                    issuer_organ=issuer_organ, issuer_office=Office.SUPERVISION.value,
                    holder_organ=holder_organ, holder_office=holder_office, level=level,
                    requirements="按督办函要求办理并报结 (routing supervise_down)",
                    working_days=working_days, transfer_id=transfer_id, at=aware(at),
                    organ_code=issuer_organ, actor=SYSTEM)
        computed = rules.deadline(DeadlineKind.HANDLING, start, calendar, days=working_days)
        order._approved(approved_by=f"transfer:{transfer_id}", start=start.isoformat(),
                        due=computed.date.isoformat(), provisional=computed.provisional,
                        calendar_version=computed.calendar_version, rules_version=rules.version,
                        at=aware(at), organ_code=issuer_organ, actor=SYSTEM)
        return order

    # --- reading ---------------------------------------------------------------------

    @property
    def deadline_id(self) -> UUID:
        """The handling deadline this order's clock is (warned like any other)."""
        ref = self.transfer_id or f"order:{self.id}"
        return deadline_id(self.case_id, DeadlineKind.HANDLING.value, ref)

    @property
    def is_live(self) -> bool:
        return self.status in (OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED)

    def reminder_due(self, today: date, calendar: WorkingCalendar, days_before: int) -> bool:
        """Whether the automatic reminder should go out today (once, before the due date)."""
        if not self.is_live or self.auto_reminded or self.due is None:
            return False
        return calendar.working_days_between(today, self.due) <= days_before

    # --- guards ----------------------------------------------------------------------

    def _require(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise Conflict("order_state", "督办单当前状态不允许此操作",
                           "The order's state does not allow this", state=self.status)

    def _require_issuer(self, actor: Actor) -> None:
        if actor.organ_code != self.issuer_organ:
            raise Forbidden("order_issuer_only", "只有督办机关可以办理此事项",
                            "Only the issuing organ may do this", issuer=self.issuer_organ)

    def _require_holder(self, actor: Actor) -> None:
        if actor.organ_code != self.holder_organ:
            raise Forbidden("order_holder_only", "只有承办机关可以办理此事项",
                            "Only the holding organ may do this", holder=self.holder_organ)

    # --- commands --------------------------------------------------------------------

    def approve(self, leader: Actor, start: date, calendar: WorkingCalendar, rules: Rules,
                *, at: datetime) -> None:
        """A leader of the issuing organ signs the order off 签批; its clock starts."""
        self._require(OrderStatus.DRAFT)
        self._require_issuer(leader)
        if not leader.is_leader:
            raise Forbidden("order_needs_leader", "督办须经分管领导批准",
                            "An order needs a leader's approval")
        computed = rules.deadline(DeadlineKind.HANDLING, start, calendar, days=self.working_days)
        self._approved(approved_by=leader.name, start=start.isoformat(),
                       due=computed.date.isoformat(), provisional=computed.provisional,
                       calendar_version=computed.calendar_version, rules_version=rules.version,
                       at=aware(at), organ_code=leader.organ_code, actor=leader.name)

    def recompute(self, calendar: WorkingCalendar, rules: Rules, *, at: datetime,
                  actor: str, organ_code: str) -> bool:
        """Count its due date again under `calendar` (a year was published); False when it
        was not provisional, is no longer live, or the date and version stand."""
        if not (self.is_live and self.provisional) or self.start is None or self.due is None:
            return False
        computed = rules.deadline(DeadlineKind.HANDLING, self.start, calendar,
                                  days=self.working_days)
        if computed.calendar_version == self.calendar_version:
            return False
        self._recomputed(due=computed.date.isoformat(), provisional=computed.provisional,
                         calendar_version=computed.calendar_version,
                         previous_due=self.due.isoformat(), at=aware(at),
                         organ_code=organ_code, actor=actor)
        return True

    def acknowledge(self, actor: Actor, *, at: datetime) -> None:
        self._require(OrderStatus.ISSUED)
        self._require_holder(actor)
        self._acknowledged(at=aware(at), organ_code=actor.organ_code, actor=actor.username)

    def report_progress(self, actor: Actor, note: str, *, at: datetime) -> None:
        note = require_text(note, "note", 2000)
        self._require(OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED)
        self._require_holder(actor)
        self._progress_reported(note=note, at=aware(at), organ_code=actor.organ_code,
                                actor=actor.username)

    def remind(self, actor: Actor, note: str, *, at: datetime) -> None:
        """The issuer reminds the holder by hand 催办."""
        note = require_text(note, "note", 2000)
        self._require(OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED)
        self._require_issuer(actor)
        self._reminded(note=note, automatic=False, at=aware(at), organ_code=actor.organ_code,
                       actor=actor.username)

    def remind_automatically(self, *, at: datetime) -> None:
        self._require(OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED)
        if self.auto_reminded:
            raise Conflict("order_already_reminded", "已自动催办", "Already reminded")
        self._reminded(note="督办期限临近,请按时报结", automatic=True, at=aware(at),
                       organ_code=self.issuer_organ, actor=SYSTEM)

    def close(self, reason: str, *, at: datetime, actor: str, organ_code: str) -> bool:
        """The result was reported back and accepted; False when no longer live."""
        if not self.is_live:
            return False
        self._closed(reason=require_text(reason, "reason", 500), at=aware(at),
                     organ_code=organ_code, actor=actor)
        return True

    def accept_result(self, actor: Actor, reason: str, *, at: datetime) -> None:
        """The issuer accepts the result reported to it by hand (an order that did not move
        the case, so routing records no review of it)."""
        reason = require_text(reason, "reason", 2000)
        self._require(OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED)
        self._require_issuer(actor)
        self._closed(reason=reason, at=aware(at), organ_code=actor.organ_code, actor=actor.username)

    def escalate(self, actor: Actor, reason: str, *, at: datetime) -> None:
        """The issuer escalates the order 升级督办 (e.g. to a red card); this order ends."""
        reason = require_text(reason, "reason", 2000)
        self._require(OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED)
        self._require_issuer(actor)
        self._escalated(reason=reason, at=aware(at), organ_code=actor.organ_code,
                        actor=actor.username)

    # --- events ----------------------------------------------------------------------

    def _note(self, what: str, at: datetime, actor: str, **details: Any) -> None:
        self.history.append({"event": what, "at": at.isoformat(), "actor": actor, **details})

    @event("Approved")
    def _approved(self, approved_by: str, start: str, due: str, provisional: bool,
                  calendar_version: str, rules_version: str, at: datetime, organ_code: str,
                  actor: str) -> None:
        self.status = OrderStatus.ISSUED
        self.approved_by = approved_by
        self.start = date.fromisoformat(start)
        self.due = date.fromisoformat(due)
        self.provisional = provisional
        self.calendar_version = calendar_version
        self.rules_version = rules_version
        self._note("approved", at, actor, due=due)

    @event("Recomputed")
    def _recomputed(self, due: str, provisional: bool, calendar_version: str,
                    previous_due: str, at: datetime, organ_code: str, actor: str) -> None:
        self.due = date.fromisoformat(due)
        self.provisional = provisional
        self.calendar_version = calendar_version
        self._note("recomputed", at, actor, due=due, previous_due=previous_due)

    @event("Acknowledged")
    def _acknowledged(self, at: datetime, organ_code: str, actor: str) -> None:
        self.status = OrderStatus.ACKNOWLEDGED
        self._note("acknowledged", at, actor)

    @event("ProgressReported")
    def _progress_reported(self, note: str, at: datetime, organ_code: str, actor: str) -> None:
        self._note("progress", at, actor, note=note)

    @event("Reminded")
    def _reminded(self, note: str, automatic: bool, at: datetime, organ_code: str,
                  actor: str) -> None:
        self.reminders += 1
        self.auto_reminded = self.auto_reminded or automatic
        self._note("reminded", at, actor, note=note, automatic=automatic)

    @event("Closed")
    def _closed(self, reason: str, at: datetime, organ_code: str, actor: str) -> None:
        self.status = OrderStatus.CLOSED
        self._note("closed", at, actor, reason=reason)

    @event("Escalated")
    def _escalated(self, reason: str, at: datetime, organ_code: str, actor: str) -> None:
        self.status = OrderStatus.ESCALATED
        self._note("escalated", at, actor, reason=reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": str(self.id), "case_id": self.case_id,
            "issuer_organ": self.issuer_organ, "issuer_office": self.issuer_office,
            "holder_organ": self.holder_organ, "holder_office": self.holder_office,
            "level": self.level, "requirements": self.requirements,
            "working_days": self.working_days, "transfer_id": self.transfer_id,
            "status": self.status, "approved_by": self.approved_by,
            "start": self.start.isoformat() if self.start else None,
            "due": self.due.isoformat() if self.due else None,
            "provisional": self.provisional, "calendar_version": self.calendar_version,
            "rules_version": self.rules_version, "reminders": self.reminders,
            "deadline_id": str(self.deadline_id), "history": list(self.history),
            "version": self.version,
        }
