"""A stored event that does not decode, or a case whose events no longer load, is a coded
refusal naming the case from each service that loads it, logged once; other cases go on
being served. (The stored bytes are put back afterwards: the audit tests share this
platform and verify its stores.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from infra.audit.verify import audited_tables

from .casework import ACCEPT, CASE, REGISTER, ok, registration, wait_for

pytestmark = pytest.mark.integration

ROUTING_CASE = """query($id: ID!) { case(id: $id) { id holder { organCode } availableActions } }"""


@contextmanager
def corrupted(owner_url: str, schema: str, case_id: str, state: bytes) -> Iterator[None]:
    """The case's first stored event with other state bytes, as the owner role could."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        tables = audited_tables(conn, schema)
        assert tables is not None
        events = f'"{schema}".{tables[0]}'
        where = "WHERE originator_id = %s AND originator_version = 1"
        row = conn.execute(f"SELECT state FROM {events} {where}", (case_id,)).fetchone()
        assert row is not None
        conn.execute(f"UPDATE {events} SET state = %s {where}", (state, case_id))
        try:
            yield
        finally:
            conn.execute(f"UPDATE {events} SET state = %s {where}", (row[0], case_id))


def _error(body: dict) -> dict:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]


def _log_count(platform, service: str, text: str) -> int:
    return (platform.log_dir / f"{service}.log").read_text(errors="replace").count(text)


@pytest.mark.parametrize(
    ("state", "code"), [(b"\x00not json", "event_undecodable"), (b"{}", "case_unreadable")]
)
def test_a_broken_case_is_a_coded_refusal_and_other_cases_are_served(
    platform, clients, database_owner_url, state, code
) -> None:
    clerk = clients("clerk.620102")
    broken = ok(clerk.post(REGISTER, input=registration("620102")))["registerPetition"]["caseId"]
    fine = ok(clerk.post(REGISTER, input=registration("620102")))["registerPetition"]["caseId"]
    for case_id in (broken, fine):
        ok(clerk.post(ACCEPT, id=case_id))
        wait_for(clerk, case_id, lambda case: case["holder"] is not None)
    schema = platform.settings.schema_of("intake")
    with corrupted(database_owner_url, schema, broken, state):
        for _ in range(3):
            refused = _error(clerk.post(CASE, id=broken))
            assert refused["code"] == code, refused
            assert broken in str(refused), refused  # the message names the case
        assert ok(clerk.post(CASE, id=fine))["case"]["id"] == fine
        time.sleep(0.5)
        logged = "does not decode" if code == "event_undecodable" else "does not load"
        assert _log_count(platform, "intake", f"{broken}") >= 1
        lines = [
            line
            for line in (platform.log_dir / "intake.log").read_text(errors="replace").splitlines()
            if broken in line and logged in line
        ]
        assert len(lines) == 1, lines  # once, not per request
    assert ok(clerk.post(CASE, id=broken))["case"]["id"] == broken


def test_a_broken_routing_case_is_refused_by_routing_naming_the_case(
    platform, clients, database_owner_url
) -> None:
    clerk = clients("clerk.620102")
    broken = ok(clerk.post(REGISTER, input=registration("620102")))["registerPetition"]["caseId"]
    ok(clerk.post(ACCEPT, id=broken))
    wait_for(clerk, broken, lambda case: case["holder"] is not None)
    with corrupted(database_owner_url, platform.settings.schema_of("routing"), broken, b"[1"):
        refused = _error(clerk.post(ROUTING_CASE, id=broken))
        assert refused["code"] == "event_undecodable", refused
        assert broken in str(refused), refused
        lines = [
            line
            for line in (platform.log_dir / "routing.log").read_text(errors="replace").splitlines()
            if broken in line and "does not decode" in line
        ]
        assert len(lines) == 1, lines
