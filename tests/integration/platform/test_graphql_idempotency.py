"""Idempotent registration through GraphQL on the running platform: the same registration
sent 20 times at once with one `Idempotency-Key` gives one case; without a key, 20 cases,
each later one showing the first as a repeat candidate (they name the same person)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from .casework import ACCEPT, REGISTER, ok, registration
from .logged_in import StaffClient

pytestmark = pytest.mark.integration

ORGAN = "620102001"
CANDIDATES = """query($id: ID!) { case(id: $id) { id registeredAt
  repeatCandidates { caseId } } }"""


def send(clerk: StaffClient, variables: dict[str, Any], key: str | None) -> dict[str, Any]:
    headers = {} if key is None else {"Idempotency-Key": key}
    response = clerk.http.post(
        f"{clerk.url}/graphql",
        json={"query": REGISTER, "variables": variables},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def same_person(**extra: Any) -> dict[str, Any]:
    """A registration naming one person no other test names."""
    name = f"钱{uuid.uuid4().hex[:6]}"
    person = {"name": name, "unit": "某村委会", "position": "村主任", "cadreLevel": "village_cadre"}
    return {"input": registration(ORGAN, reportedPersons=[person], **extra)}


def twenty_at_once(clerk: StaffClient, variables: dict[str, Any], key: str | None) -> list[dict]:
    with ThreadPoolExecutor(20) as pool:
        return list(pool.map(lambda _: send(clerk, variables, key), range(20)))


def test_twenty_concurrent_registrations_with_one_key_give_one_case(clients) -> None:
    clerk = clients(f"clerk.{ORGAN}")
    answers = [ok(a)["registerPetition"] for a in twenty_at_once(clerk, same_person(), "k-20")]
    assert len({a["caseId"] for a in answers}) == 1
    assert len({a["registrationNumber"] for a in answers}) == 1
    # The receipt code shown once is the same code each time, not a new one per repeat.
    assert len({a["receiptCode"] for a in answers}) == 1


def test_without_a_key_twenty_cases_each_later_one_showing_the_first(clients) -> None:
    clerk = clients(f"clerk.{ORGAN}")
    answers = [ok(a)["registerPetition"] for a in twenty_at_once(clerk, same_person(), None)]
    ids = {a["caseId"] for a in answers}
    assert len(ids) == 20
    cases = [ok(clerk.post(CANDIDATES, id=i))["case"] for i in ids]
    first = min(cases, key=lambda c: c["registeredAt"])["id"]
    ok(clerk.post(ACCEPT, id=first))  # candidates are earlier cases taken up for handling
    for case_id in ids - {first}:
        shown = ok(clerk.post(CANDIDATES, id=case_id))["case"]["repeatCandidates"]
        assert first in [c["caseId"] for c in shown], case_id


def test_a_reused_key_and_a_malformed_key_are_coded_errors(clients) -> None:
    clerk = clients(f"clerk.{ORGAN}")
    ok(send(clerk, same_person(), "reused-key"))
    reused = send(clerk, same_person(), "reused-key")
    error = reused["errors"][0]["extensions"]
    assert error["code"] == "idempotency_key_reused"
    assert error["message_zh"] and error["message_en"]

    bad = send(clerk, same_person(), "x" * 129)
    error = bad["errors"][0]["extensions"]
    assert error["code"] == "idempotency_key_invalid"
    assert error["message_zh"] and error["message_en"]
