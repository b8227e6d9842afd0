"""Scope of supervision's objects: an order, a deadline, an evaluation belongs to cases, so
the caller reads it only if the policy lets them read those cases (`domain.access`).

Out of scope is answered like a missing object (404 with the object's own `_unknown` code),
so an id does not reveal that the object exists; the refusal is in the access log.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.access import Action, Object
from domain.actors import Actor
from domain.errors import NotFound
from domain.supervision.casefile import SupervisedCase
from domain.supervision.deadline import CaseDeadline
from domain.supervision.evaluation import MonthlyEvaluation
from domain.supervision.keys import case_record_id
from domain.supervision.order import SupervisionOrder
from services.guard import CaseScope, Guard, held_by
from services.supervision.application import SupervisionApplication

__all__ = ["case_scope", "check_deadline", "check_evaluation", "check_order"]


def case_scope(app: SupervisionApplication, case_id: str, *known: str | None) -> CaseScope:
    """The case's holder and every organ that has held it (from supervision's own record of
    it), with `known` organs (an order's issuer, a deadline's responsible organ) added."""
    record = app.load_or_none(SupervisedCase, case_record_id(case_id))
    organs: list[str | None] = []
    holder = None
    if record is not None:
        holder = record.holder_organ or record.registered_organ
        organs.append(record.registered_organ)
        for transfer in record.transfers.values():
            organs += [transfer["from_organ"], transfer["to_organ"]]
        organs += [r["organ"] for r in record.reported_from]
        organs += [c["organ"] for c in record.conclusions]
        organs.append(record.holder_organ)
    organs += known
    scope = held_by(organs)
    return CaseScope(case_id, holder or (scope[0] if scope else ""), scope)


def _read(guard: Guard, actor: Actor, scope: CaseScope, missing: Callable[[], NotFound]) -> None:
    guard.case(actor, Action.READ, Object.CASE, scope, missing)


def check_deadline(app: SupervisionApplication, guard: Guard, actor: Actor,
                   deadline: CaseDeadline, missing: Callable[[], NotFound]) -> None:
    _read(guard, actor, case_scope(app, deadline.case_id, deadline.responsible_organ), missing)


def check_order(app: SupervisionApplication, guard: Guard, actor: Actor,
                order: SupervisionOrder, missing: Callable[[], NotFound]) -> None:
    """The issuing organ has been shown the order's case too."""
    scope = case_scope(app, order.case_id, order.holder_organ, order.issuer_organ)
    _read(guard, actor, scope, missing)


def check_evaluation(guard: Guard, actor: Actor, evaluation: MonthlyEvaluation,
                     missing: Callable[[], NotFound]) -> None:
    """An evaluation belongs to the panel's organ and the organs whose cases it samples."""
    organs: list[str | None] = [evaluation.evaluator_organ, *evaluation.organs]
    organs += [evaluation.organ_of.get(case_id) for case_id in evaluation.sample]
    scope = CaseScope(str(evaluation.id), evaluation.evaluator_organ, held_by(organs))
    _read(guard, actor, scope, missing)
