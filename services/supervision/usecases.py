"""Supervision's commands: deadlines by hand, orders, evaluations, key-field feedback and
calendar publication. Each loads what it changes afresh, runs one domain command and
stores it (a lost race is 409 `concurrent_update`); each returns plain data."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.errors import Conflict, Forbidden, NotFound
from domain.rules import DeadlineKind
from domain.supervision.calendar_years import PublishedYears
from domain.supervision.casefile import SupervisedCase
from domain.supervision.deadline import CaseDeadline
from domain.supervision.evaluation import MonthlyEvaluation
from domain.supervision.keyfield import KeyFieldLoop
from domain.supervision.keys import case_record_id, evaluation_id
from domain.supervision.order import SupervisionOrder
from domain.vocabulary import Level
from services.guard import Guard
from services.supervision import scope
from services.supervision.application import SYSTEM, SupervisionApplication
from services.supervision.queries import order_view


def _missing(what: str, zh: str, **details: Any) -> NotFound:
    return NotFound(f"{what}_unknown", f"{zh}不存在", f"No {what.replace('_', ' ')} has this id",
                    **details)


def _deadline(app: SupervisionApplication, deadline_id: UUID) -> CaseDeadline:
    return app.load(CaseDeadline, deadline_id, _missing("deadline", "期限", id=str(deadline_id)))


def _order(app: SupervisionApplication, order_id: UUID) -> SupervisionOrder:
    return app.load(SupervisionOrder, order_id, _missing("order", "督办单", id=str(order_id)))


def _evaluation(app: SupervisionApplication, eval_id: UUID) -> MonthlyEvaluation:
    return app.load(MonthlyEvaluation, eval_id, _missing("evaluation", "评查", id=str(eval_id)))


def _check_version(aggregate: Any, expected: int | None) -> None:
    if expected is not None and expected != aggregate.version:
        raise Conflict("concurrent_update", "案件已被他人同时修改，请刷新后重试",
                       "Someone else changed this case at the same time: reload and try again",
                       expected_version=expected, version=aggregate.version)


# --- deadlines ---------------------------------------------------------------------


def extend_deadline(app: SupervisionApplication, deadline_id: UUID, approver: Actor, days: int,
                    reason: str, expected_version: int | None = None) -> dict[str, Any]:
    deadline = _deadline(app, deadline_id)
    _check_version(deadline, expected_version)
    deadline.extend(days, reason, approver, app.calendar, app.rules, at=app.now())
    app.store(deadline)
    return deadline.as_dict()


def suspend_deadline(app: SupervisionApplication, deadline_id: UUID, actor: Actor,
                     reason: str) -> dict[str, Any]:
    deadline = _deadline(app, deadline_id)
    deadline.suspend(app.today(), reason, at=app.now(), actor=actor)
    app.store(deadline)
    return deadline.as_dict()


def resume_deadline(app: SupervisionApplication, deadline_id: UUID,
                    actor: Actor) -> dict[str, Any]:
    deadline = _deadline(app, deadline_id)
    deadline.resume(app.today(), app.calendar, app.rules, at=app.now(), actor=actor)
    app.store(deadline)
    return deadline.as_dict()


def deadline(app: SupervisionApplication, deadline_id: UUID, actor: Actor,
             guard: Guard) -> dict[str, Any]:
    """The deadline, if the caller may read its case (404 as if missing otherwise)."""
    found = _deadline(app, deadline_id)
    scope.check_deadline(app, guard, actor, found,
                         lambda: _missing("deadline", "期限", id=str(deadline_id)))
    return found.as_dict()


# --- orders ------------------------------------------------------------------------


def issue_order(app: SupervisionApplication, issuer: Actor, case_id: UUID, level: str,
                requirements: str, working_days: int) -> dict[str, Any]:
    """Draft an order on a case held below the issuer; it leaves once a leader approves."""
    app.org_tree.get(issuer.organ_code)
    record = app.load(SupervisedCase, case_record_id(case_id),
                      NotFound("case_unknown", "案件不存在", "No case has this id",
                               case_id=str(case_id)))
    if record.holder_organ is None:
        raise Conflict("case_not_held", "案件不在任何机关手中", "No organ holds the case")
    order = SupervisionOrder.draft(case_id, issuer, record.holder_organ, record.holder_office,
                                   level, requirements, working_days, at=app.now(),
                                   ref=str(uuid4()))
    app.store(order)
    return order.as_dict()


def approve_order(app: SupervisionApplication, order_id: UUID, leader: Actor) -> dict[str, Any]:
    """Sign the order off: its clock starts today and is warned like any other deadline."""
    order = _order(app, order_id)
    order.approve(leader, app.today(), app.calendar, app.rules, at=app.now())
    clock = CaseDeadline.open(order.case_id, DeadlineKind.HANDLING, app.today(),
                              responsible_organ=order.holder_organ, calendar=app.calendar,
                              rules=app.rules, at=app.now(), actor=SYSTEM,
                              ref=f"order:{order.id}", days=order.working_days,
                              subject={"order_id": str(order.id), "level": order.level})
    app.store(order, clock)
    return order.as_dict()


def act_on_order(app: SupervisionApplication, order_id: UUID, actor: Actor, action: str,
                 note: str | None = None, expected_version: int | None = None,
                 ) -> dict[str, Any]:
    """acknowledge, progress, remind, accept (the result, closing it) or escalate."""
    order = _order(app, order_id)
    _check_version(order, expected_version)
    now = app.now()
    if action == "acknowledge":
        order.acknowledge(actor, at=now)
    elif action == "progress":
        order.report_progress(actor, note or "", at=now)
    elif action == "remind":
        order.remind(actor, note or "", at=now)
    elif action == "accept":
        order.accept_result(actor, note or "", at=now)
    else:
        order.escalate(actor, note or "", at=now)
    clock = app.load_or_none(CaseDeadline, order.deadline_id)
    if clock is not None and action == "accept":
        clock.meet(app.today(), app.calendar, at=now, actor=actor.username)
    elif clock is not None and action == "escalate":
        clock.cancel("督办已升级 order escalated", at=now, actor=actor.username)
    app.store(order, *([clock] if clock is not None and clock.pending_events else []))
    return order.as_dict()


def order(app: SupervisionApplication, order_id: UUID, actor: Actor,
          guard: Guard) -> dict[str, Any]:
    """The order, its history and its clock, if the caller may read its case."""
    found = _order(app, order_id)
    scope.check_order(app, guard, actor, found,
                      lambda: _missing("order", "督办单", id=str(order_id)))
    app.catch_up()
    return order_view(app, found)


# --- evaluations -------------------------------------------------------------------


def population(app: SupervisionApplication, month: str, organs: list[str]) -> list[dict[str, str]]:
    """First conclusions in `month` by the organs or their stationed units 派驻机构."""
    app.catch_up()
    rows = []
    for record in app.index.cases():
        first = record.first_conclusion
        if first is None or not first["on"].startswith(month):
            continue
        organ = first["organ"]
        if any(organ == o or organ.startswith(f"{o}Z") for o in organs):
            rows.append({"case_id": record.case_id, "organ": organ})
    return rows


def draw(app: SupervisionApplication, evaluator: Actor, month: str, organs: list[str],
         size: int | None = None, seed: str | None = None) -> dict[str, Any]:
    """Draw the month's sample once per evaluating organ; the seed is recorded."""
    organ = app.org_tree.get(evaluator.organ_code)
    if organ.level.rank > Level.COUNTY.rank:
        raise Forbidden("evaluator_level_too_low", "县级以上机关方可组织评查",
                       "Only an organ at county level or above evaluates")
    if app.load_or_none(MonthlyEvaluation, evaluation_id(evaluator.organ_code, month)):
        raise Conflict("evaluation_exists", "本月已抽样", "This month is already drawn",
                       month=month)
    for code in organs:
        app.org_tree.get(code)
    evaluation = MonthlyEvaluation.draw(
        evaluator, month, organs, population(app, month, organs),
        size or app.config.sample_size, seed or secrets.token_hex(8), app.config.sheet,
        at=app.now())
    app.store(evaluation)
    return evaluation.as_dict()


def score(app: SupervisionApplication, eval_id: UUID, evaluator: Actor, case_id: str,
          lost: Mapping[str, Any]) -> dict[str, Any]:
    evaluation = _evaluation(app, eval_id)
    evaluation.score(evaluator, case_id, lost, app.config.sheet, app.rules, app.calendar,
                     app.today(), at=app.now())
    app.store(evaluation)
    return evaluation.as_dict()


def rectify(app: SupervisionApplication, eval_id: UUID, actor: Actor, item_id: str,
            evidence: str) -> dict[str, Any]:
    evaluation = _evaluation(app, eval_id)
    evaluation.submit_rectification(actor, item_id, evidence, at=app.now())
    app.store(evaluation)
    return evaluation.as_dict()


def review(app: SupervisionApplication, eval_id: UUID, evaluator: Actor, item_id: str,
           accept: bool, reason: str | None) -> dict[str, Any]:
    evaluation = _evaluation(app, eval_id)
    evaluation.review_rectification(evaluator, item_id, accept, reason, at=app.now())
    app.store(evaluation)
    return evaluation.as_dict()


def evaluation(app: SupervisionApplication, eval_id: UUID, actor: Actor,
               guard: Guard) -> dict[str, Any]:
    """The evaluation, if the caller may read the panel's or the sampled organs' cases."""
    found = _evaluation(app, eval_id)
    scope.check_evaluation(guard, actor, found,
                           lambda: _missing("evaluation", "评查", id=str(eval_id)))
    return found.as_dict()


# --- key-field loop and calendar -----------------------------------------------------


def loop_feedback(app: SupervisionApplication, loop_id: UUID, actor: Actor, month: str,
                  note: str) -> dict[str, Any]:
    loop = app.load(KeyFieldLoop, loop_id, _missing("loop", "闭环跟踪", id=str(loop_id)))
    loop.give_feedback(actor, month, note, at=app.now())
    app.store(loop)
    return loop.as_dict(app.today())


def publish_year(app: SupervisionApplication, actor: Actor, year: int,
                 data: Mapping[str, Any]) -> dict[str, Any]:
    """Publish a year's schedule, then recompute every provisional deadline as an event."""
    published = app.published_years() or PublishedYears.start(
        at=app.now(), organ_code=actor.organ_code, actor=actor.username)
    known = year in app.calendar.known_years()
    published.publish(year, data, actor, at=app.now(), known=known)
    app.store(published)
    calendar = app.refresh_calendar()
    recomputed = 0
    for listed in list(app.index.deadlines()):
        if not (listed.is_open and listed.provisional):
            continue
        fresh = app.load_or_none(CaseDeadline, listed.id)
        if fresh is not None and fresh.recompute(calendar, app.rules, at=app.now(),
                                                 actor=actor.username):
            app.save(fresh)
            recomputed += 1
    # An order carries its own due date (both sides see it): counted again the same way.
    orders = 0
    for listed_order in list(app.index.orders()):
        if not (listed_order.is_live and listed_order.provisional):
            continue
        order = app.load_or_none(SupervisionOrder, listed_order.id)
        if order is not None and order.recompute(calendar, app.rules, at=app.now(),
                                                 actor=actor.username,
                                                 organ_code=order.issuer_organ):
            app.save(order)
            orders += 1
    app.catch_up()
    return {"year": year, "calendar_version": calendar.version, "recomputed": recomputed,
            "orders_recomputed": orders}
