"""Supervision's reads over an organ's subtree (a subtree is a code prefix): warnings,
overdue deadlines, a case's clocks, orders issued and received, bulletins."""

from __future__ import annotations

from collections import Counter
from typing import Any

from domain.supervision.casefile import SupervisedCase
from domain.supervision.deadline import CaseDeadline
from domain.supervision.evaluation import MonthlyEvaluation
from domain.supervision.keyfield import quarter_bulletin
from domain.supervision.order import SupervisionOrder
from services.supervision.application import SupervisionApplication


def _summary(deadline: CaseDeadline) -> dict[str, Any]:
    data = deadline.as_dict()
    data.pop("history")
    return data


def _in(organ: str, root: str) -> bool:
    return organ.startswith(root)


def warnings(app: SupervisionApplication, organ: str, level: str | None) -> list[dict[str, Any]]:
    """Running deadlines in the subtree that are yellow or red today (`level` filters).

    The colour is today's, from the rules and the calendar (an extension can turn a red
    deadline yellow again); `warnings` on each row says which warnings were recorded.
    """
    app.org_tree.get(organ)
    app.catch_up()
    today = app.today()
    rows = []
    for d in app.index.deadlines():
        if not d.is_running or not _in(d.responsible_organ, organ):
            continue
        current = d.level_on(today, app.calendar, app.rules).value
        if current != "green" and level in (None, current):
            rows.append({**_summary(d), "level": current})
    return sorted(rows, key=lambda r: (r["due"], r["deadline_id"]))


def warning_counts(app: SupervisionApplication, organ: str) -> dict[str, Any]:
    """Red and yellow counts in the subtree, in total and per organ (the board's header)."""
    rows = warnings(app, organ, None)
    per_organ: dict[str, Counter[str]] = {}
    for row in rows:
        per_organ.setdefault(row["responsible_organ"], Counter())[row["level"]] += 1
    return {
        "organ": organ,
        "red": sum(1 for r in rows if r["level"] == "red"),
        "yellow": sum(1 for r in rows if r["level"] == "yellow"),
        "per_organ": [{"organ": o, "red": c["red"], "yellow": c["yellow"]}
                      for o, c in sorted(per_organ.items())],
    }


def overdue(app: SupervisionApplication, organ: str) -> list[dict[str, Any]]:
    """Open, running deadlines in the subtree past their due date today 超期."""
    app.org_tree.get(organ)
    app.catch_up()
    today = app.today()
    rows = [{**_summary(d), "days_overdue": app.calendar.working_days_between(d.due, today)}
            for d in app.index.deadlines()
            if d.is_running and d.due < today and _in(d.responsible_organ, organ)]
    return sorted(rows, key=lambda r: (r["due"], r["deadline_id"]))


def case_deadlines(app: SupervisionApplication, case_id: str) -> list[dict[str, Any]]:
    app.catch_up()
    found = app.index.of_case(case_id, CaseDeadline)
    today = app.today()
    return sorted(({**d.as_dict(), "level": d.level_on(today, app.calendar, app.rules).value}
                   for d in found), key=lambda r: (r["opened_on"], r["kind"], r["ref"] or ""))


def order_view(app: SupervisionApplication, order: SupervisionOrder) -> dict[str, Any]:
    """The order with its clock: the handling deadline it runs against, as it stands today
    (recomputed, extended or suspended there), so both sides see the same date."""
    clock = app.index.objects.get(order.deadline_id)
    data = order.as_dict()
    if isinstance(clock, CaseDeadline):
        data["clock"] = {**_summary(clock),
                         "level": clock.level_on(app.today(), app.calendar, app.rules).value}
        data["due"], data["provisional"] = data["clock"]["due"], clock.provisional
    else:
        data["clock"] = None
    return data


def case_orders(app: SupervisionApplication, case_id: str) -> list[dict[str, Any]]:
    app.catch_up()
    return [order_view(app, o) for o in app.index.of_case(case_id, SupervisionOrder)]


def orders(app: SupervisionApplication, organ: str, side: str) -> list[dict[str, Any]]:
    """Orders the subtree issued, or received (`side` = issued | received)."""
    app.org_tree.get(organ)
    app.catch_up()
    key = "issuer_organ" if side == "issued" else "holder_organ"
    return sorted((order_view(app, o) for o in app.index.orders()
                   if _in(getattr(o, key), organ)), key=lambda r: r["order_id"])


def case_record(app: SupervisionApplication, case_id: str) -> dict[str, Any] | None:
    app.catch_up()
    records = [r for r in app.index.of_case(case_id, SupervisedCase)]
    if not records:
        return None
    r = records[0]
    return {"case_id": r.case_id, "holder_organ": r.holder_organ,
            "holder_office": r.holder_office, "real_name": r.real_name,
            "conclusions": list(r.conclusions)}


def evaluation_bulletin(app: SupervisionApplication, organ: str, month: str | None,
                        ) -> list[dict[str, Any]]:
    """Failing cases 不合格案件 of evaluations drawn in the subtree."""
    app.org_tree.get(organ)
    app.catch_up()
    rows = []
    for e in app.index.of_type(MonthlyEvaluation):
        if _in(e.evaluator_organ, organ) and month in (None, e.month):
            rows += [{**c, "month": e.month, "evaluation_id": str(e.id)}
                     for c in e.failing_cases()]
    return rows


def loops(app: SupervisionApplication, organ: str) -> list[dict[str, Any]]:
    app.org_tree.get(organ)
    app.catch_up()
    today = app.today()
    return [loop.as_dict(today) for loop in app.index.loops() if _in(loop.holder_organ, organ)]


def loop_bulletin(app: SupervisionApplication, organ: str, year: int,
                  quarter: int) -> list[dict[str, Any]]:
    app.org_tree.get(organ)
    app.catch_up()
    return quarter_bulletin(app.index.loops(), year, quarter, organ)
