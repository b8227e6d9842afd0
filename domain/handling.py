"""The `Handling` aggregate 线索办理: the custody chain of one case, owned by routing.

A case opens when intake accepts a report; the registering organ's petition office holds
it first. At every moment exactly one office of one organ (or, after a hand-over outward,
one outside body) holds the case. Custody moves only by a transfer that is proposed with a
reason, signed off by a leader (签批), dispatched, and then received (签收) by a named person
at the target or refused there with a reason (custody stays where it was). While a transfer
is pending nothing else happens to the case.

The holder disposes of the lead, concludes it, and, when it was assigned from above (交办,
督办), reports the result back (报结): the assigning office then holds the case to review it
and either accepts it or sends it back to be redone (退回重办). Once concluded, with nothing
left to report back and the "five in place" confirmed, the holder archives the case.

The aggregate is pure: routes are checked through the `RouteChecker` passed to the
commands (the org tree), not through data it loads itself. Every event carries the organ
where it happened (`organ_code`) and the person who acted (`actor`); attributes are plain
values, enumerations stored as their codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, Forbidden, InvalidInput
from domain.vocabulary import (
    Disposal,
    FiveInPlace,
    NotificationMethod,
    Office,
    Outcome,
    Role,
    Satisfaction,
    Substantiation,
    TransferKind,
    parse,
)

__all__ = [
    "Actor",
    "RouteChecker",
    "Transfer",
    "CustodyLink",
    "Handling",
    "Status",
    "TransferState",
    "INTERNAL_KINDS",
]


class Status:
    """Where a case stands 办理状态 (stored as these codes)."""

    OPEN = "open"  # being handled by its holder
    CONCLUDED = "concluded"  # conclusion recorded, not yet archived
    UNDER_REVIEW = "under_review"  # reported back, held by the assigning office
    ARCHIVED = "archived"  # closed for good
    HANDED_OVER = "handed_over"  # handed over to a body outside the system


class TransferState:
    """Steps of one transfer 流转环节."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    DISPATCHED = "dispatched"
    RECEIVED = "received"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


PENDING_STATES = (TransferState.PROPOSED, TransferState.APPROVED, TransferState.DISPATCHED)

# Kinds that move a case between offices of the same organ.
INTERNAL_KINDS = frozenset({TransferKind.INTERNAL_TRANSFER, TransferKind.RETURN_TO_PETITION})
# Offices that handle leads after an internal transfer 移送.
HANDLING_OFFICES = frozenset({Office.SUPERVISION, Office.INVESTIGATION})
# Outcomes that say the problem was not found true.
_UNTRUE_OUTCOMES = frozenset(
    {Outcome.NOT_SUBSTANTIATED, Outcome.NAME_CLEARED, Outcome.FALSE_ACCUSATION}
)
_SANCTION_OUTCOMES = frozenset(
    {
        Outcome.PARTY_SANCTION,
        Outcome.ADMINISTRATIVE_SANCTION,
        Outcome.ADMONISHING_TALK,
        Outcome.CRITICISM_EDUCATION,
        Outcome.JUDICIAL_TRANSFER,
    }
)


class _OrganLike(Protocol):
    @property
    def offices(self) -> tuple[Office, ...]: ...


class RouteChecker(Protocol):
    """What the aggregate needs of the org tree (`domain.hierarchy.OrgTree` fits).

    `check_route` raises `Conflict` ("route_not_descendant", "route_not_ancestor",
    "route_foreign_stationed_unit", "route_not_same_organ", ...) or `NotFound`.
    """

    def check_route(self, kind: TransferKind, source: str, target: str | None) -> None: ...

    def get(self, code: str) -> _OrganLike: ...


@dataclass(frozen=True)
class Actor:
    """The person acting: a named staff member at an office of an organ, in a role."""

    name: str
    organ_code: str
    office: str
    role: str = Role.HANDLER.value

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput(
                "actor_name_required", "必须写明经办人姓名", "The actor must be named"
            )
        if not self.organ_code.strip():
            raise InvalidInput(
                "actor_organ_required", "必须写明经办人所在机关", "The actor's organ is required"
            )
        parse(Office, self.office)
        parse(Role, self.role)

    def at(self, organ_code: str | None, office: str | None) -> bool:
        return self.organ_code == organ_code and self.office == office


@dataclass(frozen=True)
class Transfer:
    """One transfer of custody and how far it got."""

    id: str
    kind: str
    from_organ: str
    from_office: str
    to_organ: str | None
    to_office: str | None
    external_body: str | None
    reason: str
    proposed_by: str
    state: str = TransferState.PROPOSED
    deadline: str | None = None
    suggestion: dict[str, Any] | None = None
    approved_by: str | None = None
    dispatched_by: str | None = None
    received_by: str | None = None
    refused_by: str | None = None
    refusal_reason: str | None = None
    withdrawn_by: str | None = None
    withdrawal_reason: str | None = None

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def outward(self) -> bool:
        return self.kind == TransferKind.HAND_OVER_OUTWARD.value

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CustodyLink:
    """One link of the custody chain: who took the case from whom, and how."""

    version: int
    kind: str  # "opened", a TransferKind code, "report_back" or "send_back"
    from_organ: str | None
    from_office: str | None
    to_organ: str | None
    to_office: str | None
    external_body: str | None
    by: str  # the person who took custody (签收人) or opened the case
    transfer_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _require_text(value: str, code: str, zh: str, en: str) -> str:
    if not value or not value.strip():
        raise InvalidInput(code, zh, en)
    return value.strip()


def _reason(value: str) -> str:
    return _require_text(value, "reason_required", "必须写明理由", "A reason is required")


class Handling(Aggregate):
    """The custody chain and handling of one case (same id as the petition)."""

    @event("Opened")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - the case id, given by intake
        organ_code: str,
        actor: str,
        report_type: str | None = None,
        reported_persons: list[dict[str, Any]] | None = None,
    ) -> None:
        self.registered_organ = organ_code
        self.report_type = report_type
        self.reported_persons: list[dict[str, Any]] = list(reported_persons or [])
        self.holder_organ: str | None = organ_code
        self.holder_office: str | None = Office.PETITION.value
        self.holder_external: str | None = None
        self.status = Status.OPEN
        self.transfers: list[Transfer] = []
        self.custody: list[CustodyLink] = [
            CustodyLink(
                version=1,
                kind="opened",
                from_organ=None,
                from_office=None,
                to_organ=organ_code,
                to_office=Office.PETITION.value,
                external_body=None,
                by=actor,
            )
        ]
        self.assignments: list[dict[str, str]] = []
        self.disposal: dict[str, Any] | None = None
        self.conclusion: dict[str, Any] | None = None
        self.conclusions: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
        self.five_in_place: list[str] = []
        self.repeats: list[dict[str, Any]] = []
        self.archived_by: str | None = None

    @classmethod
    def open(
        cls,
        case_id: UUID,
        organ_code: str,
        actor: str,
        report_type: str | None = None,
        reported_persons: Iterable[Mapping[str, Any]] = (),
    ) -> Handling:
        """Open the handling of an accepted report, held by the organ's petition office."""
        organ_code = _require_text(
            organ_code, "organ_required", "必须写明登记机关", "The registering organ is required"
        )
        return cls(
            id=case_id,
            organ_code=organ_code,
            actor=actor,
            report_type=report_type,
            reported_persons=[dict(p) for p in reported_persons],
        )

    # --- reading ---------------------------------------------------------------------

    @property
    def pending_transfer(self) -> Transfer | None:
        if self.transfers and self.transfers[-1].pending:
            return self.transfers[-1]
        return None

    @property
    def holder(self) -> dict[str, str | None]:
        return {
            "organ_code": self.holder_organ,
            "office": self.holder_office,
            "external_body": self.holder_external,
        }

    def is_held_by(self, organ_code: str | None, office: str | None) -> bool:
        return (
            self.holder_external is None
            and self.holder_organ == organ_code
            and self.holder_office == office
        )

    # --- guards ----------------------------------------------------------------------

    def _check_not_closed(self) -> None:
        if self.status == Status.ARCHIVED:
            raise Conflict(
                "case_archived", "案件已归档", "The case is archived", case_id=str(self.id)
            )
        if self.status == Status.HANDED_OVER:
            raise Conflict(
                "case_handed_over",
                "案件已移交系统外单位",
                "The case was handed over outside the system",
                case_id=str(self.id),
                external_body=self.holder_external,
            )

    def _check_holder(self, actor: Actor) -> None:
        if not self.is_held_by(actor.organ_code, actor.office):
            raise Forbidden(
                "not_holder",
                "只有当前持有案件的机关和部门可以办理",
                "Only the organ and office currently holding the case may do this",
                holder_organ=self.holder_organ,
                holder_office=self.holder_office,
                actor_organ=actor.organ_code,
                actor_office=actor.office,
            )

    def _check_no_pending_transfer(self) -> None:
        pending = self.pending_transfer
        if pending is not None:
            raise Conflict(
                "transfer_pending",
                "案件有尚未办结的流转，请先签收、拒收或撤回",
                "A transfer of this case is pending: receive, refuse or withdraw it first",
                transfer_id=pending.id,
                transfer_state=pending.state,
            )

    def _check_status(self, *allowed: str) -> None:
        if self.status in allowed:
            return
        if self.status == Status.UNDER_REVIEW:
            raise Conflict(
                "case_under_review",
                "案件正在审核报结",
                "The case is under review after report-back",
            )
        if self.status == Status.CONCLUDED:
            raise Conflict("case_concluded", "案件已办结", "The case is already concluded")
        raise Conflict("not_concluded", "案件尚未办结", "The case is not concluded yet")

    def _check_holder_may_act(self, actor: Actor, *allowed_status: str) -> None:
        self._check_not_closed()
        self._check_holder(actor)
        self._check_no_pending_transfer()
        self._check_status(*allowed_status)

    def _current_transfer(self, transfer_id: str) -> Transfer:
        pending = self.pending_transfer
        if pending is None or pending.id != str(transfer_id):
            known = any(t.id == str(transfer_id) for t in self.transfers)
            if known:
                raise Conflict(
                    "transfer_closed",
                    "该流转已经结束",
                    "This transfer is already closed",
                    transfer_id=str(transfer_id),
                )
            raise Conflict(
                "transfer_unknown",
                "案件没有这一流转",
                "The case has no such transfer",
                transfer_id=str(transfer_id),
            )
        return pending

    # --- transfers -------------------------------------------------------------------

    def propose_transfer(
        self,
        actor: Actor,
        kind: TransferKind | str,
        reason: str,
        routes: RouteChecker,
        *,
        to_organ: str | None = None,
        to_office: str | None = None,
        external_body: str | None = None,
        deadline: date | None = None,
        suggestion: Mapping[str, Any] | None = None,
        transfer_id: UUID | None = None,
    ) -> str:
        """Propose moving the case elsewhere; returns the transfer id."""
        kind = parse(TransferKind, kind)
        reason = _reason(reason)
        self._check_holder_may_act(actor, Status.OPEN)
        source_organ, source_office = self.holder_organ, self.holder_office
        assert source_organ is not None and source_office is not None
        if kind == TransferKind.HAND_OVER_OUTWARD:
            if to_organ is not None or to_office is not None:
                raise InvalidInput(
                    "transfer_target_unexpected",
                    "移交系统外单位时不应指定内部机关",
                    "A hand-over outward names an outside body, not an organ",
                )
            body = _require_text(
                external_body or "",
                "external_body_required",
                "必须写明接收的系统外单位",
                "The outside body receiving the case is required",
            )
            target: tuple[str | None, str | None] = (None, None)
        else:
            if external_body is not None:
                raise InvalidInput(
                    "transfer_target_unexpected",
                    "内部流转不应指定系统外单位",
                    "Only a hand-over outward names an outside body",
                )
            body = None
            target = self._internal_target(kind, to_organ, to_office, routes)
        if kind != TransferKind.SUPERVISE_DOWN and deadline is not None:
            raise InvalidInput(
                "deadline_unexpected",
                "只有督办可以设定期限",
                "Only a supervise-down transfer carries a deadline",
            )
        self._transfer_proposed(
            transfer_id=str(transfer_id or uuid4()),
            kind=kind.value,
            from_organ=source_organ,
            from_office=source_office,
            to_organ=target[0],
            to_office=target[1],
            external_body=body,
            reason=reason,
            deadline=deadline.isoformat() if deadline else None,
            suggestion=dict(suggestion) if suggestion else None,
            organ_code=actor.organ_code,
            actor=actor.name,
        )
        return self.transfers[-1].id

    def _internal_target(
        self,
        kind: TransferKind,
        to_organ: str | None,
        to_office: str | None,
        routes: RouteChecker,
    ) -> tuple[str, str]:
        source_organ, source_office = self.holder_organ, self.holder_office
        assert source_organ is not None and source_office is not None
        office = parse(Office, to_office).value if to_office is not None else None
        if kind in INTERNAL_KINDS:
            routes.check_route(kind, source_organ, to_organ)
            if kind == TransferKind.INTERNAL_TRANSFER:
                if source_office != Office.PETITION.value:
                    raise Conflict(
                        "transfer_wrong_office",
                        "只有信访室可以移送",
                        "Only the petition office transfers a case internally",
                        office=source_office,
                    )
                office = office or Office.SUPERVISION.value
                if office not in HANDLING_OFFICES:
                    raise InvalidInput(
                        "transfer_wrong_office",
                        "移送的对象应为监督检查室或审查调查室",
                        "An internal transfer goes to the supervision or investigation office",
                        office=office,
                    )
            else:
                if source_office == Office.PETITION.value:
                    raise Conflict(
                        "transfer_wrong_office",
                        "信访室不能回退给自己",
                        "The petition office cannot return a case to itself",
                        office=source_office,
                    )
                if office not in (None, Office.PETITION.value):
                    raise InvalidInput(
                        "transfer_wrong_office",
                        "回退只能退回信访室",
                        "A return goes to the petition office",
                        office=office,
                    )
                office = Office.PETITION.value
            organ = source_organ
        else:
            organ = self._other_organ_target(kind, to_organ, routes)
            office = office or Office.PETITION.value
        if office not in routes.get(organ).offices:
            raise InvalidInput(
                "office_not_at_organ",
                "接收机关没有该部门",
                "The target organ has no such office",
                organ_code=organ,
                office=office,
            )
        return organ, office

    def _other_organ_target(
        self, kind: TransferKind, to_organ: str | None, routes: RouteChecker
    ) -> str:
        source_organ = self.holder_organ
        assert source_organ is not None
        organ = _require_text(
            to_organ or "",
            "transfer_target_required",
            "必须写明接收机关",
            "The target organ is required",
        )
        if organ == source_organ:
            raise Conflict(
                "transfer_to_self",
                "不能流转给本机关",
                "A case cannot be routed to the organ that holds it",
                organ_code=organ,
            )
        routes.check_route(kind, source_organ, organ)
        return organ

    def approve_transfer(self, actor: Actor, transfer_id: str) -> None:
        """A leader of the holding organ signs off the pending transfer 签批."""
        self._check_not_closed()
        transfer = self._current_transfer(transfer_id)
        if actor.organ_code != self.holder_organ:
            raise Forbidden(
                "not_holder",
                "只有持有案件机关的领导可以签批",
                "Only a leader of the organ holding the case signs transfers off",
                holder_organ=self.holder_organ,
                actor_organ=actor.organ_code,
            )
        if actor.role != Role.LEADER.value:
            raise Forbidden(
                "leader_required", "流转须经分管领导签批", "A transfer is signed off by a leader"
            )
        if transfer.state != TransferState.PROPOSED:
            raise Conflict(
                "transfer_already_approved",
                "该流转已经签批",
                "This transfer is already signed off",
                transfer_id=transfer.id,
            )
        self._transfer_approved(
            transfer_id=transfer.id, organ_code=actor.organ_code, actor=actor.name
        )

    def dispatch_transfer(self, actor: Actor, transfer_id: str) -> None:
        """The holder sends the signed-off transfer on its way."""
        self._check_not_closed()
        self._check_holder(actor)
        transfer = self._current_transfer(transfer_id)
        if transfer.state == TransferState.PROPOSED:
            raise Conflict(
                "transfer_not_approved",
                "流转尚未经领导签批，不能发出",
                "The transfer has not been signed off by a leader",
                transfer_id=transfer.id,
            )
        if transfer.state == TransferState.DISPATCHED:
            raise Conflict(
                "transfer_already_dispatched",
                "该流转已经发出",
                "This transfer was already dispatched",
                transfer_id=transfer.id,
            )
        notified = (
            [Office.CASE_MANAGEMENT.value]
            if transfer.kind == TransferKind.INTERNAL_TRANSFER.value
            else []
        )
        self._transfer_dispatched(
            transfer_id=transfer.id,
            notified_offices=notified,
            organ_code=actor.organ_code,
            actor=actor.name,
        )

    def withdraw_transfer(self, actor: Actor, transfer_id: str, reason: str) -> None:
        """The holder takes back a transfer that has not been dispatched 撤回."""
        reason = _reason(reason)
        self._check_not_closed()
        self._check_holder(actor)
        transfer = self._current_transfer(transfer_id)
        if transfer.state == TransferState.DISPATCHED:
            raise Conflict(
                "transfer_already_dispatched",
                "流转已经发出，只能由接收方签收或拒收",
                "The transfer was dispatched: the target receives or refuses it",
                transfer_id=transfer.id,
            )
        self._transfer_withdrawn(
            transfer_id=transfer.id, reason=reason, organ_code=actor.organ_code, actor=actor.name
        )

    def _check_at_target(self, actor: Actor, transfer: Transfer) -> None:
        if transfer.state != TransferState.DISPATCHED:
            raise Conflict(
                "transfer_not_dispatched",
                "流转尚未发出",
                "The transfer has not been dispatched",
                transfer_id=transfer.id,
            )
        # An outside body has no users: the sending office records its receipt or refusal.
        where = (
            (transfer.from_organ, transfer.from_office)
            if transfer.outward
            else (transfer.to_organ, transfer.to_office)
        )
        if not actor.at(*where):
            raise Forbidden(
                "not_target",
                "只有接收机关的接收部门可以签收或拒收",
                "Only the receiving office of the target organ may receive or refuse",
                target_organ=where[0],
                target_office=where[1],
                actor_organ=actor.organ_code,
                actor_office=actor.office,
            )

    def receive_transfer(
        self, actor: Actor, transfer_id: str, received_by: str | None = None
    ) -> None:
        """A named person at the target signs for the case 签收; custody moves there."""
        self._check_not_closed()
        transfer = self._current_transfer(transfer_id)
        self._check_at_target(actor, transfer)
        receiver = received_by if received_by is not None else actor.name
        receiver = _require_text(
            receiver,
            "receiver_name_required",
            "必须写明签收人",
            "The person receiving must be named",
        )
        self._transfer_received(
            transfer_id=transfer.id,
            received_by=receiver,
            organ_code=actor.organ_code,
            actor=actor.name,
        )

    def refuse_transfer(self, actor: Actor, transfer_id: str, reason: str) -> None:
        """The target refuses the case with a reason 拒收; custody stays with the sender."""
        reason = _reason(reason)
        self._check_not_closed()
        transfer = self._current_transfer(transfer_id)
        self._check_at_target(actor, transfer)
        self._transfer_refused(
            transfer_id=transfer.id, reason=reason, organ_code=actor.organ_code, actor=actor.name
        )

    # --- handling --------------------------------------------------------------------

    def decide_disposal(self, actor: Actor, mode: Disposal | str, reason: str) -> None:
        """The holder chooses how to dispose of the lead 线索处置."""
        mode = parse(Disposal, mode)
        reason = _reason(reason)
        self._check_holder_may_act(actor, Status.OPEN)
        self._disposal_decided(
            mode=mode.value, reason=reason, organ_code=actor.organ_code, actor=actor.name
        )

    def conclude(
        self,
        actor: Actor,
        outcome: Outcome | str,
        substantiation: Substantiation | str,
        findings: str,
    ) -> None:
        """The holder records the conclusion 办结: outcome, substantiation and findings."""
        outcome = parse(Outcome, outcome)
        substantiation = parse(Substantiation, substantiation)
        findings = _require_text(
            findings, "findings_required", "必须写明查核情况", "The findings are required"
        )
        if outcome in _UNTRUE_OUTCOMES and substantiation != Substantiation.UNTRUE:
            raise InvalidInput(
                "conclusion_inconsistent",
                "查否、澄清正名或诬告陷害的结论应认定反映问题不属实",
                "This outcome means the problem was found untrue",
                outcome=outcome.value,
                substantiation=substantiation.value,
            )
        if outcome in _SANCTION_OUTCOMES and substantiation == Substantiation.UNTRUE:
            raise InvalidInput(
                "conclusion_inconsistent",
                "反映问题不属实，不能作出处理处分",
                "A sanction needs the problem found at least partly true",
                outcome=outcome.value,
                substantiation=substantiation.value,
            )
        self._check_holder_may_act(actor, Status.OPEN)
        if self.disposal is None:
            raise Conflict(
                "disposal_missing",
                "尚未确定线索处置方式",
                "Choose a disposal mode before concluding",
            )
        self._concluded(
            outcome=outcome.value,
            substantiation=substantiation.value,
            findings=findings,
            organ_code=actor.organ_code,
            actor=actor.name,
        )

    def report_back(self, actor: Actor, summary: str) -> None:
        """Report the conclusion back to the assigning office 报结; it holds the case to review."""
        summary = _require_text(
            summary, "summary_required", "必须写明报结情况", "A summary of the result is required"
        )
        self._check_holder_may_act(actor, Status.CONCLUDED)
        if not self.assignments:
            raise Conflict(
                "no_assignment",
                "本案不是上级交办或督办案件，无需报结",
                "The case was not assigned from above: there is nothing to report back",
            )
        assigner = self.assignments[-1]
        self._reported_back(
            to_organ=assigner["organ_code"],
            to_office=assigner["office"],
            summary=summary,
            organ_code=actor.organ_code,
            actor=actor.name,
        )

    def review(self, actor: Actor, accept: bool, reason: str | None = None) -> None:
        """The assigning office reviews the result: accept it, or send it back to be redone."""
        self._check_not_closed()
        self._check_holder(actor)
        if self.status != Status.UNDER_REVIEW:
            raise Conflict(
                "not_under_review", "案件不在报结审核中", "The case is not awaiting review"
            )
        if accept:
            self._result_accepted(
                reason=(reason or "").strip() or None,
                organ_code=actor.organ_code,
                actor=actor.name,
            )
        else:
            self._sent_back(
                reason=_reason(reason or ""), organ_code=actor.organ_code, actor=actor.name
            )

    def record_feedback(
        self,
        actor: Actor,
        method: NotificationMethod | str,
        content: str,
        satisfaction: Satisfaction | str | None = None,
    ) -> None:
        """Tell the reporter the result 反馈, optionally with their satisfaction 回访."""
        method = parse(NotificationMethod, method)
        content = _require_text(
            content,
            "feedback_content_required",
            "必须写明反馈内容",
            "The feedback content is required",
        )
        level = parse(Satisfaction, satisfaction).value if satisfaction is not None else None
        self._check_holder_may_act(actor, Status.CONCLUDED)
        self._feedback_given(
            method=method.value,
            content=content,
            satisfaction=level,
            organ_code=actor.organ_code,
            actor=actor.name,
        )

    def confirm_five_in_place(self, actor: Actor, items: Iterable[FiveInPlace | str]) -> None:
        """Confirm some of the "five in place" 五个到位 before archiving."""
        confirmed = [parse(FiveInPlace, item).value for item in items]
        if not confirmed:
            raise InvalidInput(
                "five_in_place_empty", "请至少确认一项", "Confirm at least one of the five"
            )
        self._check_holder_may_act(actor, Status.CONCLUDED)
        new = [c for c in dict.fromkeys(confirmed) if c not in self.five_in_place]
        if not new:
            return
        self._five_in_place_confirmed(items=new, organ_code=actor.organ_code, actor=actor.name)

    @property
    def five_in_place_missing(self) -> list[str]:
        return [item.value for item in FiveInPlace if item.value not in self.five_in_place]

    def archive(self, actor: Actor) -> None:
        """Archive the concluded case 归档 once the five are in place."""
        self._check_holder_may_act(actor, Status.CONCLUDED)
        if self.assignments:
            raise Conflict(
                "report_back_required",
                "交办案件须先报结并经审核通过",
                "An assigned case is reported back and accepted before it is archived",
                assigned_by=self.assignments[-1]["organ_code"],
            )
        if self.five_in_place_missing:
            raise Conflict(
                "five_in_place_incomplete",
                "“五个到位”尚未全部确认",
                "The five-in-place checks are not all confirmed",
                missing=self.five_in_place_missing,
            )
        self._archived(organ_code=actor.organ_code, actor=actor.name)

    def link_repeat(self, repeat_case_id: UUID | str, organ_code: str, actor: str) -> bool:
        """Show a repeat report linked at intake to whoever holds this case now.

        Returns False (and records nothing) when the repeat is already linked.
        """
        repeat = str(repeat_case_id)
        if repeat == str(self.id):
            raise InvalidInput(
                "repeat_self", "案件不能是自己的重复举报", "A case cannot repeat itself"
            )
        if any(r["case_id"] == repeat for r in self.repeats):
            return False
        self._repeat_linked(
            repeat_case_id=repeat,
            holder_organ=self.holder_organ,
            holder_office=self.holder_office,
            organ_code=organ_code,
            actor=actor,
        )
        return True

    # --- events ----------------------------------------------------------------------

    def _replace_last_transfer(self, **changes: Any) -> Transfer:
        transfer = Transfer(**{**self.transfers[-1].as_dict(), **changes})
        self.transfers[-1] = transfer
        return transfer

    @event("TransferProposed")
    def _transfer_proposed(
        self,
        transfer_id: str,
        kind: str,
        from_organ: str,
        from_office: str,
        to_organ: str | None,
        to_office: str | None,
        external_body: str | None,
        reason: str,
        deadline: str | None,
        suggestion: dict[str, Any] | None,
        organ_code: str,
        actor: str,
    ) -> None:
        self.transfers.append(
            Transfer(
                id=transfer_id,
                kind=kind,
                from_organ=from_organ,
                from_office=from_office,
                to_organ=to_organ,
                to_office=to_office,
                external_body=external_body,
                reason=reason,
                proposed_by=actor,
                deadline=deadline,
                suggestion=suggestion,
            )
        )

    @event("TransferApproved")
    def _transfer_approved(self, transfer_id: str, organ_code: str, actor: str) -> None:
        self._replace_last_transfer(state=TransferState.APPROVED, approved_by=actor)

    @event("TransferDispatched")
    def _transfer_dispatched(
        self, transfer_id: str, notified_offices: list[str], organ_code: str, actor: str
    ) -> None:
        self._replace_last_transfer(state=TransferState.DISPATCHED, dispatched_by=actor)

    @event("TransferWithdrawn")
    def _transfer_withdrawn(
        self, transfer_id: str, reason: str, organ_code: str, actor: str
    ) -> None:
        self._replace_last_transfer(
            state=TransferState.WITHDRAWN, withdrawn_by=actor, withdrawal_reason=reason
        )

    @event("TransferReceived")
    def _transfer_received(
        self, transfer_id: str, received_by: str, organ_code: str, actor: str
    ) -> None:
        t = self._replace_last_transfer(state=TransferState.RECEIVED, received_by=received_by)
        self.custody.append(
            CustodyLink(
                version=self.version + 1,
                kind=t.kind,
                from_organ=t.from_organ,
                from_office=t.from_office,
                to_organ=t.to_organ,
                to_office=t.to_office,
                external_body=t.external_body,
                by=received_by,
                transfer_id=t.id,
            )
        )
        self.holder_organ, self.holder_office = t.to_organ, t.to_office
        if t.outward:
            self.holder_external = t.external_body
            self.status = Status.HANDED_OVER
            return
        if TransferKind(t.kind).needs_report_back:
            self.assignments.append(
                {"organ_code": t.from_organ, "office": t.from_office, "transfer_id": t.id}
            )
        # A case that comes back to the organ that assigned it needs no report-back to it.
        while self.assignments and self.assignments[-1]["organ_code"] == t.to_organ:
            self.assignments.pop()

    @event("TransferRefused")
    def _transfer_refused(self, transfer_id: str, reason: str, organ_code: str, actor: str) -> None:
        self._replace_last_transfer(
            state=TransferState.REFUSED, refused_by=actor, refusal_reason=reason
        )

    @event("DisposalDecided")
    def _disposal_decided(self, mode: str, reason: str, organ_code: str, actor: str) -> None:
        self.disposal = {"mode": mode, "reason": reason, "by": actor, "organ_code": organ_code}

    @event("Concluded")
    def _concluded(
        self, outcome: str, substantiation: str, findings: str, organ_code: str, actor: str
    ) -> None:
        self.conclusion = {
            "outcome": outcome,
            "substantiation": substantiation,
            "findings": findings,
            "by": actor,
            "organ_code": organ_code,
        }
        self.conclusions.append(self.conclusion)
        self.status = Status.CONCLUDED

    @event("ReportedBack")
    def _reported_back(
        self, to_organ: str, to_office: str, summary: str, organ_code: str, actor: str
    ) -> None:
        self.custody.append(
            CustodyLink(
                version=self.version + 1,
                kind="report_back",
                from_organ=self.holder_organ,
                from_office=self.holder_office,
                to_organ=to_organ,
                to_office=to_office,
                external_body=None,
                by=actor,
            )
        )
        self.holder_organ, self.holder_office = to_organ, to_office
        self.status = Status.UNDER_REVIEW

    @event("ResultAccepted")
    def _result_accepted(self, reason: str | None, organ_code: str, actor: str) -> None:
        self.reviews.append({"accepted": True, "reason": reason, "by": actor})
        self.assignments.pop()
        self.status = Status.CONCLUDED

    @event("SentBack")
    def _sent_back(self, reason: str, organ_code: str, actor: str) -> None:
        self.reviews.append({"accepted": False, "reason": reason, "by": actor})
        reporter = self.custody[-1]
        self.custody.append(
            CustodyLink(
                version=self.version + 1,
                kind="send_back",
                from_organ=self.holder_organ,
                from_office=self.holder_office,
                to_organ=reporter.from_organ,
                to_office=reporter.from_office,
                external_body=None,
                by=actor,
            )
        )
        self.holder_organ, self.holder_office = reporter.from_organ, reporter.from_office
        self.conclusion = None
        self.five_in_place = []
        self.status = Status.OPEN

    @event("FeedbackGiven")
    def _feedback_given(
        self, method: str, content: str, satisfaction: str | None, organ_code: str, actor: str
    ) -> None:
        self.feedback.append(
            {"method": method, "content": content, "satisfaction": satisfaction, "by": actor}
        )

    @event("FiveInPlaceConfirmed")
    def _five_in_place_confirmed(self, items: list[str], organ_code: str, actor: str) -> None:
        self.five_in_place.extend(items)

    @event("Archived")
    def _archived(self, organ_code: str, actor: str) -> None:
        self.archived_by = actor
        self.status = Status.ARCHIVED

    @event("RepeatLinked")
    def _repeat_linked(
        self,
        repeat_case_id: str,
        holder_organ: str | None,
        holder_office: str | None,
        organ_code: str,
        actor: str,
    ) -> None:
        self.repeats.append(
            {
                "case_id": repeat_case_id,
                "linked_at_organ": organ_code,
                "shown_to_organ": holder_organ,
                "shown_to_office": holder_office,
            }
        )
