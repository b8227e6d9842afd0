"""What each intake and routing event means for supervision: `{event type: handler}`.

A handler opens, meets or cancels the deadlines a case runs against, notes the facts later
events do not repeat on supervision's case record, opens an order for a supervised
transfer, and follows key-field cases. It only changes aggregates through `Effects`,
which the application stores with the tracking row in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from domain.contracts import Envelope, HandlingEvents, PetitionEvents
from domain.guards import CHINA_TZ
from domain.rules import DeadlineKind
from domain.supervision.casefile import SupervisedCase
from domain.supervision.deadline import CaseDeadline
from domain.supervision.keyfield import KeyFieldLoop
from domain.supervision.keys import case_record_id, deadline_id, loop_id, order_id
from domain.supervision.order import SupervisionOrder
from domain.vocabulary import OrderLevel, TransferKind

if TYPE_CHECKING:
    from services.supervision.application import SupervisionApplication

A = TypeVar("A")
SYSTEM = "supervision"
LEVEL_KINDS = frozenset({TransferKind.REPORT_UP.value, TransferKind.FORWARD_DOWN.value,
                         TransferKind.ASSIGN_DOWN.value, TransferKind.SUPERVISE_DOWN.value})
ACCEPTANCE = DeadlineKind.ACCEPTANCE_NOTICE.value
FEEDBACK = DeadlineKind.RESULT_FEEDBACK.value
LEVEL = DeadlineKind.LEVEL_TRANSFER.value
HANDLING = DeadlineKind.HANDLING.value


def _day(value: Any) -> date:
    """The Beijing date of an ISO time (raises ValueError when it is not one)."""
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ).date()


class Effects:
    """The aggregates one envelope changes, loaded once each and collected for saving.

    The envelopes of one batch share `touched`, so each sees what the ones before it did
    (an aggregate they opened or changed, not stored yet) and the batch is saved at once.
    """

    def __init__(self, app: SupervisionApplication, envelope: Envelope,
                 touched: dict[UUID, Any] | None = None) -> None:
        self.app = app
        self.envelope = envelope
        self.payload = envelope.payload
        self.case_id = str(UUID(envelope.case_id))
        self.organ = str(envelope.organ_code or self.payload.get("organ_code") or "")
        self.at = app.now()
        self._touched: dict[UUID, Any] = {} if touched is None else touched

    # --- aggregates ------------------------------------------------------------------

    def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id in self._touched:
            found = self._touched[aggregate_id]
            return found if isinstance(found, kind) else None
        if not self.app.holds(aggregate_id):
            # Not in the index, caught up before the handlers ran: not stored, and nothing
            # to read (a registration's case record). Stored by another writer since, it
            # makes the batch's save conflict, and the batch is tried again after a catch-up.
            return None
        aggregate = self.app.load_or_none(kind, aggregate_id)
        if aggregate is not None:
            self._touched[aggregate_id] = aggregate
        return aggregate

    def add(self, aggregate: Any) -> Any:
        self._touched[aggregate.id] = aggregate
        return aggregate

    def changed(self) -> list[Any]:
        return [a for a in self._touched.values() if a.pending_events]

    def of_case(self, kind: type[A]) -> list[A]:
        """The case's aggregates of this kind: those stored (the index) and those opened
        earlier in the batch, as this batch has left them."""
        stored: list[Any] = self.app.index.of_case(self.case_id, kind)
        ids = [a.id for a in stored]
        ids += [i for i, a in self._touched.items() if isinstance(a, kind) and i not in ids
                and str(getattr(a, "case_id", "")) == self.case_id]
        found = [self.find(kind, i) for i in ids]
        return [a for a in found if a is not None]

    @property
    def day(self) -> date:
        """The day the upstream event happened: its own `at`, or when it was stored."""
        return _day(self.payload.get("at") or self.envelope.occurred_at)

    def record(self, registration: tuple[date, bool, list[str]] | None = None
               ) -> SupervisedCase:
        """The case's record; opened now if new, with `registration`'s facts if given."""
        found = self.find(SupervisedCase, case_record_id(self.case_id))
        if found is None:
            found = self.add(SupervisedCase.open(self.case_id, self.organ, at=self.at,
                                                 actor=SYSTEM, registration=registration))
        return found

    def deadline(self, kind: str, ref: str | None = None) -> CaseDeadline | None:
        return self.find(CaseDeadline, deadline_id(self.case_id, kind, ref))

    def open_deadline(self, kind: str, start: date, organ: str, ref: str | None = None,
                      days: int | None = None, **subject: Any) -> CaseDeadline | None:
        if self.deadline(kind, ref) is not None:
            return None  # opened by an earlier delivery of the same event
        return self.add(CaseDeadline.open(
            self.case_id, kind, start, responsible_organ=organ, calendar=self.app.calendar,
            rules=self.app.rules, at=self.at, actor=SYSTEM, ref=ref, days=days,
            subject=subject))

    def meet(self, kind: str, ref: str | None = None, on: date | None = None) -> None:
        found = self.deadline(kind, ref)
        if found is not None:
            found.meet(on or self.day, self.app.calendar, at=self.at, actor=SYSTEM)

    def cancel(self, kind: str, reason: str, ref: str | None = None) -> None:
        found = self.deadline(kind, ref)
        if found is not None:
            found.cancel(reason, at=self.at, actor=SYSTEM)

    def open_deadlines_of_case(self, kind: str) -> list[CaseDeadline]:
        return [d for d in self.of_case(CaseDeadline) if d.kind == kind and d.is_open]

    def loops(self) -> list[KeyFieldLoop]:
        found = [self.find(KeyFieldLoop, loop_id(self.case_id, code))
                 for code in sorted(self.app.config.closed_loop_fields)]
        return [loop for loop in found if loop is not None]


# --- intake ------------------------------------------------------------------------


def registered(fx: Effects) -> None:
    received = _day(fx.payload.get("received_at") or fx.envelope.occurred_at)
    real_name = fx.payload.get("real_name") is True
    fields = [str(f) for f in fx.payload.get("key_fields") or []]
    # A new record is opened with the facts (one event, not Opened and RegistrationNoted),
    # and noting them again records nothing; one routing opened first notes them now.
    fx.record((received, real_name, fields)).note_registration(
        received, real_name, fields, at=fx.at, actor=SYSTEM)
    if real_name:
        fx.open_deadline(ACCEPTANCE, received, fx.organ)


def accepted(fx: Effects) -> None:
    record = fx.record()
    start = _day(fx.payload.get("decided_at") or fx.envelope.occurred_at)
    for code in sorted(set(record.key_fields) & fx.app.config.closed_loop_fields):
        if fx.find(KeyFieldLoop, loop_id(fx.case_id, code)) is not None:
            continue
        closure = fx.open_deadline(HANDLING, start, fx.organ, f"key_field:{code}",
                                   days=fx.app.config.key_field_closure_days, key_field=code)
        due = closure.due if closure is not None else start
        fx.add(KeyFieldLoop.open(fx.case_id, code, fx.organ, start, due, at=fx.at,
                                 actor=SYSTEM))


def not_owed(reason: str) -> Callable[[Effects], None]:
    def cancel(fx: Effects) -> None:
        fx.cancel(ACCEPTANCE, reason)

    return cancel


def acceptance_notified(fx: Effects) -> None:
    fx.meet(ACCEPTANCE, on=_day(fx.payload.get("notified_at") or fx.envelope.occurred_at))


def corrected(fx: Effects) -> None:
    """A corrected receipt time moves the acceptance notice's start 更正收件时间."""
    changes = fx.payload.get("changes") or {}
    if "received_at" in changes and changes["received_at"]:
        found = fx.deadline(ACCEPTANCE)
        if found is not None:
            found.rebase(_day(changes["received_at"]), fx.app.calendar, fx.app.rules,
                         str(fx.payload.get("reason") or "更正收件时间"), at=fx.at,
                         actor=SYSTEM)


# --- routing -----------------------------------------------------------------------


def opened(fx: Effects) -> None:
    fx.record()


def transfer_proposed(fx: Effects) -> None:
    p = fx.payload
    tid, kind = str(p["transfer_id"]), str(p.get("kind"))
    fx.record().note_transfer(tid, kind, p.get("from_organ"), p.get("to_organ"),
                              p.get("to_office"), at=fx.at, actor=SYSTEM)
    if kind in LEVEL_KINDS:
        fx.open_deadline(LEVEL, fx.day, str(p.get("from_organ") or fx.organ), f"{tid}:pass",
                         transfer_kind=kind, to_organ=p.get("to_organ"))


def transfer_dispatched(fx: Effects) -> None:
    tid = str(fx.payload["transfer_id"])
    fx.meet(LEVEL, f"{tid}:pass")
    transfer = fx.record().transfer(tid)
    if transfer and transfer["kind"] in LEVEL_KINDS and transfer["to_organ"]:
        fx.open_deadline(LEVEL, fx.day, transfer["to_organ"], f"{tid}:receive",
                         transfer_kind=transfer["kind"], from_organ=transfer["from_organ"])


def transfer_withdrawn(fx: Effects) -> None:
    tid = str(fx.payload["transfer_id"])
    fx.cancel(LEVEL, "移交已撤回 transfer withdrawn", f"{tid}:pass")
    fx.cancel(LEVEL, "移交已撤回 transfer withdrawn", f"{tid}:receive")


def transfer_refused(fx: Effects) -> None:
    fx.meet(LEVEL, f"{fx.payload['transfer_id']}:receive")


def transfer_received(fx: Effects) -> None:
    tid = str(fx.payload["transfer_id"])
    fx.meet(LEVEL, f"{tid}:receive")
    record = fx.record()
    transfer = record.transfer(tid)
    if transfer is None:
        return
    organ = fx.payload.get("holder_organ") or transfer["to_organ"]
    office = fx.payload.get("holder_office") or transfer["to_office"]
    record.note_holder(organ, office, "transfer", at=fx.at, actor=SYSTEM)
    for loop in fx.loops():
        if organ:
            loop.move_to(str(organ), at=fx.at, actor=SYSTEM)
    if not organ or transfer["kind"] not in (TransferKind.ASSIGN_DOWN.value,
                                             TransferKind.SUPERVISE_DOWN.value):
        return
    fx.open_deadline(HANDLING, fx.day, organ, tid, transfer_kind=transfer["kind"],
                     assigned_by=transfer["from_organ"])
    if transfer["kind"] == TransferKind.SUPERVISE_DOWN.value:
        open_order_for_transfer(fx, tid, transfer, organ, office)


def open_order_for_transfer(fx: Effects, tid: str, transfer: dict[str, Any], organ: str,
                            office: str | None) -> None:
    """Routing's supervise_down, once received, is an order 督办 with the handling clock."""
    if fx.find(SupervisionOrder, order_id(fx.case_id, tid)) is not None:
        return
    fx.add(SupervisionOrder.from_transfer(
        fx.case_id, tid, issuer_organ=transfer["from_organ"], holder_organ=organ,
        holder_office=office, level=OrderLevel.ORDINARY.value,
        working_days=fx.app.rules.handling_days, start=fx.day, calendar=fx.app.calendar,
        rules=fx.app.rules, at=fx.at))


def concluded(fx: Effects) -> None:
    record = fx.record()
    record.note_conclusion(fx.organ, fx.day, at=fx.at, actor=SYSTEM)
    if record.real_name:
        # A case redone 退回重办 and concluded again owes the reporter the new result too.
        first = fx.deadline(FEEDBACK)
        ref = None if first is None or first.is_open else f"concluded:{fx.envelope.sequence}"
        fx.open_deadline(FEEDBACK, fx.day, fx.organ, ref)
    for loop in fx.loops():
        loop.close(fx.day, at=fx.at, actor=SYSTEM)
        fx.meet(HANDLING, f"key_field:{loop.key_field}")


def reported_back(fx: Effects) -> None:
    for deadline in fx.open_deadlines_of_case(HANDLING):
        if deadline.responsible_organ == fx.organ and not (deadline.ref or "").startswith(
                "key_field:"):
            deadline.meet(fx.day, fx.app.calendar, at=fx.at, actor=SYSTEM)
    to_organ = fx.payload.get("to_organ")
    if to_organ:
        fx.record().note_holder(str(to_organ), fx.payload.get("to_office"), "report_back",
                                at=fx.at, actor=SYSTEM)


def result_accepted(fx: Effects) -> None:
    for order in fx.of_case(SupervisionOrder):
        if order.issuer_organ == fx.organ and order.close(
                "报结已审核通过 result accepted", at=fx.at, actor=fx.envelope.actor or SYSTEM,
                organ_code=fx.organ):
            clock = fx.find(CaseDeadline, order.deadline_id)
            if clock is not None:
                clock.meet(fx.day, fx.app.calendar, at=fx.at, actor=SYSTEM)


def sent_back(fx: Effects) -> None:
    record = fx.record()
    back = record.reported_from[-1] if record.reported_from else None
    organ = fx.payload.get("holder_organ") or (back or {}).get("organ")
    office = fx.payload.get("holder_office") or (back or {}).get("office")
    if not organ:
        return
    record.note_holder(str(organ), office, "send_back", at=fx.at, actor=SYSTEM)
    fx.open_deadline(HANDLING, fx.day, str(organ), f"redo:{fx.envelope.sequence}",
                     sent_back_by=fx.organ)


def feedback_given(fx: Effects) -> None:
    for deadline in fx.open_deadlines_of_case(FEEDBACK):
        deadline.meet(fx.day, fx.app.calendar, at=fx.at, actor=SYSTEM)


HANDLERS: dict[str, Callable[[Effects], None]] = {
    PetitionEvents.REGISTERED: registered,
    PetitionEvents.ACCEPTED: accepted,
    PetitionEvents.DIVERTED: not_owed("已分流,不再告知受理 diverted"),
    PetitionEvents.NOT_ACCEPTED: not_owed("不予受理 not accepted"),
    PetitionEvents.ACCEPTANCE_NOTIFIED: acceptance_notified,
    PetitionEvents.CORRECTED: corrected,
    HandlingEvents.OPENED: opened,
    HandlingEvents.TRANSFER_PROPOSED: transfer_proposed,
    HandlingEvents.TRANSFER_DISPATCHED: transfer_dispatched,
    HandlingEvents.TRANSFER_WITHDRAWN: transfer_withdrawn,
    HandlingEvents.TRANSFER_REFUSED: transfer_refused,
    HandlingEvents.TRANSFER_RECEIVED: transfer_received,
    HandlingEvents.CONCLUDED: concluded,
    HandlingEvents.REPORTED_BACK: reported_back,
    HandlingEvents.RESULT_ACCEPTED: result_accepted,
    HandlingEvents.SENT_BACK: sent_back,
    HandlingEvents.FEEDBACK_GIVEN: feedback_given,
}
