"""The authorization matrix over the services' REST, generated from `domain.access.RULES`.

Every role × object × action × relation (× the petition and supervision offices) that a
service serves is called with a token signed like the gateway's. A cell the table grants
is never refused by the policy (the case's own rules may still answer 403/409, e.g. the
wrong office holds it); a cell it refuses answers 403 `forbidden` with the policy's
reason, or 404 when the case is outside the caller's scope, and the refusal is in the
access log. The (object, action) pairs no service serves are listed with where they are
enforced instead, and every pair the table grants is either probed here or listed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from domain.access import RULES, Action, Cell, Object, Relation, allowed_cells
from domain.actors import Actor
from tests.actors import staff
from tests.service_tokens import bearer

from .conftest import COUNTY, PNG, USER_ORGAN, Platform

pytestmark = pytest.mark.integration

Probe = Callable[[Platform, dict[str, str]], httpx.Response]

# One call per (object, action) a service serves, on the county's objects.
PROBES: dict[tuple[Object, Action], dict[str, Probe]] = {
    (Object.CASE, Action.READ): {
        "routing": lambda p, h: p.routing.get(f"/cases/{p.case}", headers=h),
        "intake": lambda p, h: p.intake.get(f"/petitions/{p.petition}", headers=h),
        "routing_batch": lambda p, h: p.routing.get("/cases", params={"ids": [p.case]}, headers=h),
        "routing_timeline": lambda p, h: p.routing.get(f"/cases/{p.case}/timeline", headers=h),
        "intake_timeline": lambda p, h: p.intake.get(
            f"/petitions/{p.petition}/timeline", headers=h
        ),
        # Supervision's objects of the case, each fetched by its id.
        "supervision_order": lambda p, h: p.supervision.get(
            f"/orders/{p.supervised.order}", headers=h
        ),
        "supervision_deadline": lambda p, h: p.supervision.get(
            f"/deadlines/{p.supervised.deadline}", headers=h
        ),
        "supervision_evaluation": lambda p, h: p.supervision.get(
            f"/evaluations/{p.supervised.evaluation}", headers=h
        ),
        "supervision_case_orders": lambda p, h: p.supervision.get(
            f"/cases/{p.supervised.case}/orders", headers=h
        ),
        "supervision_case_deadlines": lambda p, h: p.supervision.get(
            f"/cases/{p.supervised.case}/deadlines", headers=h
        ),
    },
    (Object.CASE, Action.LIST): {
        "intake_search": lambda p, h: p.intake.get(
            "/petitions", params={"registration_number": p.registration_number}, headers=h
        ),
    },
    (Object.CASE, Action.CHANGE): {
        "routing": lambda p, h: p.routing.post(
            f"/cases/{p.workable}/disposal", json={"mode": "inquiry", "reason": "函询"}, headers=h
        ),
        "intake": lambda p, h: p.intake.post(
            f"/petitions/{p.petition}/screening/real-name-check",
            json={"method": "by_phone"},
            headers=h,
        ),
    },
    (Object.CASE, Action.APPROVE): {
        "intake_not_accept": lambda p, h: p.intake.post(
            f"/petitions/{p.proposal}/screening/not-accept/approve", json={}, headers=h
        ),
    },
    (Object.TRANSFER, Action.CHANGE): {
        "routing_propose": lambda p, h: p.routing.post(
            f"/cases/{p.workable}/transfers",
            json={"kind": "report_up", "reason": "市管干部", "to_organ": "6201"},
            headers=h,
        ),
    },
    (Object.TRANSFER, Action.APPROVE): {
        "routing": lambda p, h: p.routing.post(
            f"/cases/{p.case}/transfers/{p.transfer}/approve", json={}, headers=h
        ),
    },
    (Object.REPORTER_IDENTITY, Action.REVEAL): {
        "intake": lambda p, h: p.intake.post(
            f"/petitions/{p.petition}/reporter/reveal", json={"purpose": "电话核实"}, headers=h
        ),
    },
    (Object.ATTACHMENT, Action.READ): {
        "intake_download": lambda p, h: p.intake.get(
            f"/petitions/{p.petition}/attachments/{p.attachment}", headers=h
        ),
    },
    (Object.ATTACHMENT, Action.CHANGE): {
        "intake_upload": lambda p, h: p.intake.post(
            f"/petitions/{p.petition}/attachments",
            files={"file": ("p.png", PNG, "image/png")},
            data={"kind": "photo"},
            headers=h,
        ),
    },
    (Object.INBOX, Action.READ): {
        "routing": lambda p, h: p.routing.get("/inbox", params={"organ_code": COUNTY}, headers=h),
    },
    (Object.STATISTICS, Action.READ): {
        "stats": lambda p, h: p.stats.get(
            f"/organs/{COUNTY}/stats", params={"from": "2026-01-01", "to": "2026-01-31"}, headers=h
        ),
        # What the gateway's Excel exports read (their `export` check is the gateway's).
        "stats_case_statistics": lambda p, h: p.stats.get(
            f"/organs/{COUNTY}/case-statistics",
            params={"from": "2026-01-01", "to": "2026-01-31", "groupBy": "CHANNEL"},
            headers=h,
        ),
        "stats_subordinate_status": lambda p, h: p.stats.get(
            f"/organs/{COUNTY}/subordinate-status",
            params={"from": "2026-01-01", "to": "2026-01-31"},
            headers=h,
        ),
    },
}

# Granted somewhere in the table, but not served by a service's REST: where it is enforced.
NOT_ON_SERVICE_REST = {
    (Object.USERS, Action.READ): "gateway: users",
    (Object.USERS, Action.LIST): "gateway: users",
    (Object.USERS, Action.CHANGE): "gateway: createUser/disableUser",
    (Object.ACCESS_LOG, Action.READ): "gateway: accessLog",
    (Object.ACCESS_LOG, Action.LIST): "gateway: accessLog",
    (Object.ACCESS_LOG, Action.EXPORT): "gateway: no export of the access log exists yet",
    (Object.CASE, Action.EXPORT): "no server export of cases: the search page's own workbook",
    # The gateway writes the workbook from stats' answer and checks `export` itself
    # (tests/integration/gateway/test_graphql_matrix.py probes every cell); stats serves
    # the numbers as a `read`, probed above.
    (Object.STATISTICS, Action.EXPORT): "gateway: /exports/*.xlsx",
    (Object.TRANSFER, Action.READ): "served inside the case (GET /cases/{id}): case read",
    (Object.TRANSFER, Action.LIST): "served inside the case and the inbox trays",
    (Object.ATTACHMENT, Action.LIST): "listed inside the petition: case read",
    (Object.INBOX, Action.LIST): "the inbox is one read (GET /inbox)",
}

OFFICES = ("petition", "supervision")
_CELLS = {
    (c.role, c.object, c.action, c.relation, c.office): c
    for c in allowed_cells()
    if (c.object, c.action) in PROBES and c.office in OFFICES
}
CASE_OBJECTS = {Object.CASE, Object.REPORTER_IDENTITY, Object.ATTACHMENT, Object.TRANSFER}
# What a case, or an object of it, out of the caller's scope answers: as if it did not exist.
HIDDEN_CODES = (
    "case_unknown",
    "petition_unknown",
    "order_unknown",
    "deadline_unknown",
    "evaluation_unknown",
)


def test_every_granted_pair_is_probed_or_listed() -> None:
    granted = {(rule.object, rule.action) for rule in RULES}
    assert granted <= set(PROBES) | set(NOT_ON_SERVICE_REST)
    assert not set(PROBES) & set(NOT_ON_SERVICE_REST)


def _caller(cell: Cell, probe: str) -> tuple[Actor | None, str]:
    username = f"{cell.role}.{cell.relation.value}.{cell.office}.{cell.object.value}.{probe}"
    if cell.role == "reporter":
        return None, username
    organ = USER_ORGAN[cell.relation]
    return staff(username, organ, cell.office, cell.role), username


def _visible(cell: Cell) -> bool:
    read = _CELLS[(cell.role, Object.CASE, Action.READ, cell.relation, cell.office)]
    return read.allowed


def _check(platform: Platform, cell: Cell, probe: str, call: Probe) -> None:
    actor, username = _caller(cell, probe)
    before = len(platform.refusals_of(username))
    # A reporter's token is the gateway's anonymous one, named per call to find its row.
    response = call(platform, bearer(actor) if actor else bearer(None, username=username))
    data = response.json() if response.headers.get("content-type") == "application/json" else {}
    body: dict[str, Any] = data if isinstance(data, dict) else {}
    code = body.get("error", {}).get("code")
    where = f"{cell} via {probe}: {response.status_code} {response.text[:300]}"
    refused_by_policy = response.status_code == 404 or code == "forbidden"
    if response.status_code == 200 and probe in ("intake_search", "routing_batch"):
        # Lists are filtered, not refused: the case is in the answer exactly when allowed.
        if probe == "intake_search":
            found = platform.petition in [item["case_id"] for item in body["items"]]
        else:
            found = [case["case_id"] for case in body["cases"]] == [platform.case]
            assert found or body["missing"] == [platform.case], where
        assert found is cell.allowed, where
        if not cell.allowed and probe == "routing_batch":  # each id out of scope is logged
            assert len(platform.refusals_of(username)) > before, f"{where}: not logged"
        return
    if cell.allowed:
        assert not refused_by_policy and response.status_code < 500, where
        if (
            cell.action is Action.REVEAL
            or cell.object is Object.ATTACHMENT
            and (cell.action is Action.READ)
        ):
            assert response.status_code == 200, where
            assert platform.allowed_of(username), f"{where}: the read is not in the access log"
        return
    assert refused_by_policy, where
    hidden = (
        cell.role != "reporter"
        and cell.action is not Action.LIST
        and cell.object in CASE_OBJECTS
        and not _visible(cell)
    )
    if hidden:
        assert response.status_code == 404, where
        assert code in HIDDEN_CODES, where
    else:
        assert response.status_code == 403, where
        assert body["error"]["details"]["reason"], where
    assert len(platform.refusals_of(username)) > before, f"{where}: refusal not logged"


@pytest.mark.parametrize("role", sorted({c[0] for c in _CELLS}))
def test_each_cell_behaves_as_the_table_says(platform: Platform, role: str) -> None:
    checked = 0
    for (object_, action), probes in PROBES.items():
        for relation_ in Relation:
            for office in OFFICES:
                cell = _CELLS[(role, object_, action, relation_, office)]
                for probe, call in probes.items():
                    _check(platform, cell, probe, call)
                    checked += 1
    assert checked == sum(len(p) for p in PROBES.values()) * len(Relation) * len(OFFICES)
