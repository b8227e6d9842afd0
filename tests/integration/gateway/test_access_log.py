"""The access log: refusals written by the gateway, auditors' queries by their subtree and
filters, and no UPDATE or DELETE of its rows."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from infra.access_log import AccessEntry, AccessLog, AccessQuery

from .conftest import code_of, gql, login

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
LOG = """query($user: String, $caseId: String, $from: DateTime, $to: DateTime,
               $outcome: AccessOutcome, $first: Int) {
  accessLog(user: $user, caseId: $caseId, from: $from, to: $to, outcome: $outcome,
            first: $first) { id at user organ caseId action object outcome reason } }"""


@pytest.fixture
def trail(gateway_settings, gateway_client, staff, clock):
    """Some history: refusals at the gateway and a few case reads written as services will."""
    client = gateway_client()
    staff.add("clerk.cg", organ="620102")
    staff.add("clerk.sz", organ="330683")
    staff.add("auditor.62", organ="62", office="case_management", roles=("auditor",))
    staff.add("auditor.33", organ="33", office="case_management", roles=("auditor",))
    staff.add("auditor.6201", organ="6201", office="case_management", roles=("auditor",))
    gql(client, "{ me { csrfToken } }")  # anonymous: refused
    login(client, "clerk.cg", "wrong password")  # refused login
    csrf = login(client, "clerk.cg", PASSWORD)["data"]["login"]["csrfToken"]
    gql(client, 'mutation { setLanguage(language: "en") { csrfToken } }')  # csrf_missing
    gql(client, "{ accessLog { id } }")  # a clerk is not an auditor: forbidden
    gql(client, "mutation { logout }", csrf)
    log = AccessLog(gateway_settings.database_url, gateway_settings.schema_of("access"))
    start = clock()
    for minutes, case_id, organ, outcome in (
        (1, "case-a", "620102", "allowed"),
        (2, "case-a", "620102", "refused"),
        (3, "case-b", "330683", "allowed"),
    ):
        log.record(
            AccessEntry(
                at=start + timedelta(minutes=minutes),
                action="read",
                object="case",
                outcome=outcome,
                reason="test",
                username="clerk.x",
                organ=organ,
                case_id=case_id,
                case_organ=organ,
            )
        )
    log.close()
    return start


def auditor(gateway_client, username):
    client = gateway_client()
    assert "errors" not in login(client, username, PASSWORD)
    return client


def test_gateway_refusals_are_in_the_log(trail, gateway_client):
    entries = gql(auditor(gateway_client, "auditor.62"), LOG)["data"]["accessLog"]
    reasons = {(e["action"], e["reason"], e["outcome"]) for e in entries}
    assert ("me", "unauthenticated", "REFUSED") in reasons
    assert ("login", "wrong_password", "REFUSED") in reasons
    assert ("setLanguage", "csrf_missing", "REFUSED") in reasons
    assert ("list", "no_rule_grants_list_access_log", "REFUSED") in reasons
    assert ("login", "logged_in", "ALLOWED") in reasons
    refusal = next(e for e in entries if e["reason"] == "wrong_password")
    assert (refusal["user"], refusal["organ"]) == ("clerk.cg", "620102")
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


def test_auditors_see_their_subtree_only(trail, gateway_client):
    province = gql(auditor(gateway_client, "auditor.62"), LOG)["data"]["accessLog"]
    assert {e["caseId"] for e in province if e["caseId"]} == {"case-a"}
    assert any(e["user"] is None for e in province)  # a top-level auditor sees anonymous ones
    zhejiang = gql(auditor(gateway_client, "auditor.33"), LOG)["data"]["accessLog"]
    assert {e["caseId"] for e in zhejiang if e["caseId"]} == {"case-b"}
    assert not [e for e in zhejiang if e["organ"] and not e["organ"].startswith("33")]
    city = gql(auditor(gateway_client, "auditor.6201"), LOG)["data"]["accessLog"]
    assert city and all(e["organ"] and e["organ"].startswith("6201") for e in city)


def test_filters_by_user_case_time_outcome_and_count(trail, gateway_client):
    client = auditor(gateway_client, "auditor.62")
    by_case = gql(client, LOG, caseId="case-a")["data"]["accessLog"]
    assert [e["outcome"] for e in by_case] == ["REFUSED", "ALLOWED"]
    assert gql(client, LOG, caseId="case-b")["data"]["accessLog"] == []  # not in the subtree
    refused = gql(client, LOG, caseId="case-a", outcome="REFUSED")["data"]["accessLog"]
    assert len(refused) == 1 and refused[0]["outcome"] == "REFUSED"
    mine = gql(client, LOG, user="clerk.cg")["data"]["accessLog"]
    assert mine and {e["user"] for e in mine} == {"clerk.cg"}
    window = gql(
        client,
        LOG,
        caseId="case-a",
        **{
            "from": (trail + timedelta(minutes=1, seconds=30)).isoformat(),
            "to": (trail + timedelta(minutes=5)).isoformat(),
        },
    )["data"]["accessLog"]
    assert [e["outcome"] for e in window] == ["REFUSED"]
    assert len(gql(client, LOG, first=2)["data"]["accessLog"]) == 2


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"first": 0}, "first_out_of_range"),
        ({"first": 5000}, "first_out_of_range"),
        (
            {"from": "2026-02-01T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00"},
            "date_range_invalid",
        ),
        ({"from": "2026-01-01T00:00:00"}, "datetime_without_timezone"),
    ],
)
def test_bad_filters_get_codes(trail, gateway_client, variables, code):
    assert code_of(gql(auditor(gateway_client, "auditor.62"), LOG, **variables)) == code


def test_the_log_refuses_update_and_delete_and_its_chain_names_a_change(
    trail, gateway_settings, database_owner_url, database_admin_url
):
    table = f'"{gateway_settings.schema_of("access")}".access_log'
    log = AccessLog(gateway_settings.database_url, gateway_settings.schema_of("access"))
    changes = (f"UPDATE {table} SET reason = 'x'", f"DELETE FROM {table}")
    try:
        assert log.verify() is None
        # The services' runtime role has no right to change a row at all...
        with psycopg.connect(gateway_settings.database_url, autocommit=True) as conn:
            before = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            for statement in changes:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
        # ...and the owner role, which has it, is stopped by the append-only trigger.
        with psycopg.connect(database_owner_url, autocommit=True) as conn:
            for statement in changes:
                with pytest.raises(psycopg.errors.RaiseException):
                    conn.execute(statement)
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == before
        # A superuser who switches the trigger off still leaves a broken chain.
        with psycopg.connect(database_admin_url, autocommit=True) as conn:
            [third] = conn.execute(f"SELECT id FROM {table} ORDER BY id OFFSET 2 LIMIT 1")
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER access_log_append_only")
            conn.execute(f"UPDATE {table} SET reason = 'tampered' WHERE id = %s", third)
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER access_log_append_only")
        assert log.verify() == third[0]
    finally:
        log.close()


def test_reads_by_auditors_are_recorded(trail, gateway_settings, gateway_client):
    gql(auditor(gateway_client, "auditor.33"), LOG)
    log = AccessLog(gateway_settings.database_url, gateway_settings.schema_of("access"))
    try:
        reads = log.query(AccessQuery(subtree="33", username="auditor.33"))
    finally:
        log.close()
    assert any(e.object == "access_log" and e.outcome == "allowed" for e in reads)
