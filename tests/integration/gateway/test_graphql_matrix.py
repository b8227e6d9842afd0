"""The GraphQL half of the authorization matrix, generated from `domain.access.RULES`.

The gateway runs in this process with its service clients on the services of
`conftest.running_platform` (their apps, over ASGI) and signs tokens with the key they
trust. For every staff role × probed object/action × relation × office, a user of that
organ, office and role logs in and calls the GraphQL operation (or the gateway's
attachment or Excel export route): a cell the table grants is never refused by the
policy (an export is a workbook, logged as allowed); a cell it refuses answers
`forbidden`, or the case is unknown to them, and the refusal is in the access log.
Lists and nested edges (a search page's holders and status, read through routing's
scoped batch) hold the case exactly when the table grants the read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.access import RULES, Action, Cell, Object, Relation, allowed_cells
from gateway.app import build
from gateway.clients import ServiceClient
from infra.access_log import AccessQuery
from infra.settings import Settings
from tests.conftest import Staff
from tests.service_tokens import KEY

from ..authz.conftest import COUNTY, PNG, USER_ORGAN, Platform, running_platform

pytestmark = pytest.mark.integration

Send = Callable[[TestClient, Platform], Any]
TARGET_USER = "m.target.county"  # a county user that administrators' cells act on


def gql(query: str, **variables: Any) -> Send:
    def send(client: TestClient, p: Platform) -> Any:
        values = {k: (v(p) if callable(v) else v) for k, v in variables.items()}
        return client.post("/graphql", json={"query": query, "variables": values}).json()

    return send


PROBES: dict[tuple[Object, Action], dict[str, Send]] = {
    (Object.CASE, Action.READ): {
        "case": gql(
            "query($id: ID!) { case(id: $id) { registrationNumber facts { summary } } }",
            id=lambda p: p.petition,
        ),
        "timeline": gql(
            "query($id: ID!) { case(id: $id) { timeline { what } } }", id=lambda p: p.petition
        ),
        # Supervision's objects of the case, by id, and a case's orders and clocks.
        "supervisionOrder": gql(
            "query($id: ID!) { supervisionOrder(id: $id) { id holderOrgan } }",
            id=lambda p: p.supervised.order,
        ),
        "evaluation": gql(
            "query($id: ID!) { evaluation(id: $id) { id month } }",
            id=lambda p: p.supervised.evaluation,
        ),
        "caseOrders": gql(
            "query($id: ID!) { caseOrders(caseId: $id) { id } }", id=lambda p: p.supervised.case
        ),
        "caseDeadlines": gql(
            "query($id: ID!) { caseDeadlines(caseId: $id) { id } }",
            id=lambda p: p.supervised.case,
        ),
    },
    (Object.CASE, Action.LIST): {
        # Nested edges too: each row's holder and status come through routing's batch read.
        "cases": gql(
            "query($n: String!) { cases(filter: {registrationNumber: $n}, first: 5) {"
            " edges { node { id holder { organCode } status } } } }",
            n=lambda p: p.registration_number,
        ),
    },
    (Object.CASE, Action.CHANGE): {
        "checkRealName": gql(
            'mutation($id: ID!) { checkRealName(caseId: $id, method: "by_phone") { id } }',
            id=lambda p: p.petition,
        ),
        "decideDisposal": gql(
            'mutation($id: ID!) { decideDisposal(caseId: $id, mode: "inquiry",'
            ' reason: "函询") { id } }',
            id=lambda p: p.workable,
        ),
    },
    (Object.CASE, Action.APPROVE): {
        "approveNotAccept": gql(
            "mutation($id: ID!) { approveNotAccept(caseId: $id) { id } }", id=lambda p: p.proposal
        ),
    },
    (Object.TRANSFER, Action.CHANGE): {
        "proposeTransfer": gql(
            "mutation($i: ProposeTransferInput!) { proposeTransfer(input: $i) { id } }",
            i=lambda p: {
                "caseId": p.workable,
                "kind": "report_up",
                "reason": "市管干部",
                "toOrgan": "6201",
            },
        ),
    },
    (Object.TRANSFER, Action.APPROVE): {
        "approveTransfer": gql(
            "mutation($c: ID!, $t: ID!) { approveTransfer(caseId: $c, transferId: $t) { id } }",
            c=lambda p: p.case,
            t=lambda p: p.transfer,
        ),
    },
    (Object.REPORTER_IDENTITY, Action.REVEAL): {
        "revealReporter": gql(
            'mutation($id: ID!) { revealReporter(caseId: $id, purpose: "电话核实") { name } }',
            id=lambda p: p.petition,
        ),
    },
    (Object.ATTACHMENT, Action.READ): {
        "download": lambda client, p: client.get(f"/attachments/{p.petition}/{p.attachment}"),
    },
    (Object.ATTACHMENT, Action.CHANGE): {
        "upload": lambda client, p: client.post(
            f"/attachments/{p.petition}",
            files={"file": ("p.png", PNG, "image/png")},
            data={"kind": "photo"},
        ),
    },
    # Users are the gateway's own: an administrator's subtree decides (the county's users).
    (Object.USERS, Action.LIST): {
        "users": gql(f'{{ users(organ: "{COUNTY}") {{ username }} }}'),
    },
    (Object.USERS, Action.CHANGE): {
        "setUserEnabled": gql(
            "mutation($u: String!) { setUserEnabled(username: $u, enabled: true) { username } }",
            u=TARGET_USER,
        ),
        "createUser": gql(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { username } }",
            i=lambda p: {
                "username": f"new.{uuid.uuid4().hex[:12]}",
                "password": "correct horse battery",
                "name": "新用户",
                "organ": COUNTY,
                "office": "petition",
                "roles": ["petition_clerk"],
            },
        ),
    },
    (Object.STATISTICS, Action.READ): {
        "organStats": gql(
            'query($o: String!) { organStats(organ: $o, from: "2026-01-01",'
            ' to: "2026-01-31") { total } }',
            o=COUNTY,
        ),
    },
    # The Excel exports are the gateway's own routes (it writes the workbook from stats'
    # answer): the session's user needs `export`, not just the `read` stats checks.
    (Object.STATISTICS, Action.EXPORT): {
        "statisticsXlsx": lambda client, p: client.get(
            "/exports/statistics.xlsx",
            params={"organ": COUNTY, "from": "2026-01-01", "to": "2026-01-31"},
        ),
        "subordinateStatusXlsx": lambda client, p: client.get(
            "/exports/subordinate-status.xlsx",
            params={"organ": COUNTY, "from": "2026-01-01", "to": "2026-01-31"},
        ),
    },
}
EXPORTS = ("statisticsXlsx", "subordinateStatusXlsx")
# Granted somewhere in the table but with no GraphQL operation of its own: where it is.
NOT_IN_GRAPHQL = {
    (Object.USERS, Action.READ): "no user is read alone: the users list (list) is the read",
    (Object.ACCESS_LOG, Action.READ): "the access log is one query (accessLog, own subtree)",
    (Object.ACCESS_LOG, Action.LIST): "accessLog: always the caller's own subtree, see below",
    (Object.ACCESS_LOG, Action.EXPORT): "no export of the access log exists yet",
    # The search page writes its workbook in the browser from `cases` pages (case list):
    # nothing reaches the server that tells an export from a list.
    (Object.CASE, Action.EXPORT): "no server export of cases: the search page's own workbook",
    (Object.TRANSFER, Action.READ): "served inside the case: case read",
    (Object.TRANSFER, Action.LIST): "served inside the case and the inbox trays",
    (Object.ATTACHMENT, Action.LIST): "listed inside the case: case read",
    (Object.INBOX, Action.READ): "inbox: always the caller's own organ, see below",
    (Object.INBOX, Action.LIST): "inbox: always the caller's own organ, see below",
}
# The gateway's inbox is always the caller's own organ's (relation own): no other cell.
OFFICES = ("petition", "supervision")
ROLES = (
    "petition_clerk",
    "handler",
    "leader",
    "case_manager",
    "evaluator",
    "auditor",
    "administrator",
)
CELLS = {(c.role, c.object, c.action, c.relation, c.office): c for c in allowed_cells()}
REFUSED = (
    "forbidden",
    "petition_unknown",
    "case_unknown",
    "order_unknown",
    "deadline_unknown",
    "evaluation_unknown",
)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def services(database_url: str, tmp_path_factory) -> Iterator[Platform]:
    """Intake, routing and stats with the county's objects (the REST matrix's set-up)."""
    with running_platform(database_url, tmp_path_factory.mktemp("attachments")) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(services: Platform, database_url: str, tmp_path_factory) -> Iterator[Any]:
    settings = Settings(
        database_url=database_url,
        baton_data_dir=tmp_path_factory.mktemp("gateway"),
        baton_namespace=f"gm{uuid.uuid4().hex[:8]}_",
        baton_service_token_private_key=__import__("base64")
        .b64encode(KEY.private_bytes_raw())
        .decode(),
    )
    app = build(settings)
    state = app.state.gateway
    for name in ("intake", "routing", "stats", "supervision"):
        service = getattr(services, name).app
        setattr(
            state,
            name,
            ServiceClient(name, f"http://{name}", transport=httpx.ASGITransport(app=service)),
        )
    staff = Staff(settings)
    staff.add(TARGET_USER, organ=COUNTY, password=PASSWORD)
    with TestClient(app) as client:
        yield client, staff, {}, state.identity.access_log
    state.identity.close()


def _client(gateway: Any, cell: Cell) -> tuple[TestClient, str]:
    client, staff, logged_in, _ = gateway
    username = f"m.{cell.role}.{cell.relation.value}.{cell.office}"[:40]
    if username not in logged_in:
        staff.add(
            username,
            organ=USER_ORGAN[cell.relation],
            office=cell.office,
            roles=(cell.role,),
            password=PASSWORD,
        )
        user = TestClient(client.app)
        user.__enter__()
        user.headers["X-CSRF-Token"] = Staff.login(user, username, PASSWORD)
        logged_in[username] = user
    return logged_in[username], username


def _code(answer: Any) -> str | None:
    if isinstance(answer, httpx.Response):
        if answer.status_code in (200, 201):
            return None
        return str(answer.json()["error"]["code"])
    errors = answer.get("errors") or []
    return str(errors[0]["extensions"]["code"]) if errors else None


def _gateway_allowed(gateway: Any, username: str) -> list[Any]:
    query = AccessQuery(subtree="", username=username, outcome="allowed", first=500)
    return list(gateway[3].query(query))


def _refusals(platform: Platform, gateway: Any, username: str) -> int:
    """Refusals of the user in the services' access log and in the gateway's own."""
    query = AccessQuery(subtree="", username=username, outcome="refused", include_anonymous=True)
    return len(platform.refusals_of(username)) + len(gateway[3].query(query))


def test_every_granted_pair_is_probed_or_listed() -> None:
    granted = {(rule.object, rule.action) for rule in RULES}
    assert granted <= set(PROBES) | set(NOT_IN_GRAPHQL)
    assert not set(PROBES) & set(NOT_IN_GRAPHQL)


def _check(platform: Platform, gateway: Any, cell: Cell, probe: str, send: Send) -> None:
    client, username = _client(gateway, cell)
    before = _refusals(platform, gateway, username)
    exports_before = sum(e.action == "export" for e in _gateway_allowed(gateway, username))
    answer = send(client, platform)
    code = _code(answer)
    where = f"{cell} via {probe}: {code} {str(answer)[:300]}"
    assert code not in ("internal_error", "service_failed", "service_unavailable"), where
    if probe == "cases" and code is None:
        found = [e["node"]["id"] for e in answer["data"]["cases"]["edges"]]
        assert (platform.petition in found) is cell.allowed, where
        return
    if cell.allowed:
        assert code not in REFUSED, where
        if probe in ("revealReporter", "download"):
            assert code is None, where
            assert platform.allowed_of(username), f"{where}: the read is not in the access log"
        if probe in EXPORTS:
            assert code is None and answer.content.startswith(b"PK"), where  # an xlsx (zip)
            exported = [e for e in _gateway_allowed(gateway, username) if e.action == "export"]
            assert len(exported) > exports_before, f"{where}: the export is not in the access log"
        return
    assert code in REFUSED or (probe == "download" and code == "attachment_refused"), where
    assert _refusals(platform, gateway, username) > before, f"{where}: refusal not logged"


@pytest.mark.parametrize("role", ROLES)
def test_each_cell_behaves_as_the_table_says_through_graphql(services, gateway, role):
    checked = 0
    for (object_, action), probes in PROBES.items():
        for relation_ in Relation:
            for office in OFFICES:
                cell = CELLS[(role, object_, action, relation_, office)]
                for probe, send in probes.items():
                    _check(services, gateway, cell, probe, send)
                    checked += 1
    assert checked == sum(len(p) for p in PROBES.values()) * len(Relation) * len(OFFICES)


def test_own_inbox_follows_the_table(services, gateway):
    for role in ROLES:
        cell = CELLS[(role, Object.INBOX, Action.READ, Relation.OWN, "petition")]
        client, _ = _client(gateway, cell)
        answer = client.post("/graphql", json={"query": "{ inbox { counts { held } } }"}).json()
        assert (_code(answer) is None) is cell.allowed, (cell, answer)


def test_the_access_log_follows_the_table(services, gateway):
    """`accessLog` is always the caller's own subtree: one cell (own) per role and office."""
    for role in ROLES:
        for office in OFFICES:
            cell = CELLS[(role, Object.ACCESS_LOG, Action.LIST, Relation.OWN, office)]
            client, username = _client(gateway, cell)
            before = _refusals(services, gateway, username)
            answer = client.post("/graphql", json={"query": "{ accessLog(first: 5) { id } }"})
            code = _code(answer.json())
            assert (code is None) is cell.allowed, (cell, answer.text)
            if not cell.allowed:
                assert code == "forbidden", (cell, answer.text)
                assert _refusals(services, gateway, username) > before, f"{cell}: not logged"
