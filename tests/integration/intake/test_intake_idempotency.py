"""Idempotency keys on intake's registration route, on real PostgreSQL: a repeat answers
the first registration, a reused key with another body is refused, a malformed key is a
coded 400, and concurrent duplicates make one case."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.org_codes import CITY

from .conftest import Intake, received

pytestmark = pytest.mark.integration


def body(**extra: Any) -> dict[str, Any]:
    return {
        "organ_code": CITY,
        "channel": "letter",
        "summary": "反映某局长违规收受礼金",
        "received_at": received(),
        **extra,
    }


def events(service: Intake) -> int:
    with service.intake.datastore_connection() as conn:
        row = conn.execute("SELECT count(*) FROM intakeapplication_events").fetchone()
    assert row is not None
    return int(row[0])


def post(service: Intake, payload: dict[str, Any], key: str | None, who: str = "clerk.li") -> Any:
    headers = {**service.as_(who, organ=CITY)}
    if key is not None:
        headers["Idempotency-Key"] = key
    return service.client.post("/petitions", json=payload, headers=headers)


def test_a_repeat_with_the_same_key_answers_the_first_registration(service: Intake) -> None:
    payload = body()
    first = post(service, payload, "form-1")
    assert first.status_code == 201, first.text
    stored = events(service)

    again = post(service, payload, "form-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert events(service) == stored

    other = post(service, payload, "form-2")
    assert other.json()["case_id"] != first.json()["case_id"]


def test_the_key_is_scoped_by_the_acting_user(service: Intake) -> None:
    payload = body()
    mine = post(service, payload, "shared-key", who="clerk.li")
    theirs = post(service, payload, "shared-key", who="clerk.wang")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["case_id"] != theirs.json()["case_id"]


def test_the_same_key_with_another_body_is_refused(service: Intake) -> None:
    assert post(service, body(), "k-reused").status_code == 201
    stored = events(service)
    refused = post(service, body(summary="另一件举报"), "k-reused")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["message_zh"] and error["message_en"]
    assert events(service) == stored


@pytest.mark.parametrize("key", ["", "a" * 129, "has space", "tab\tkey", "键", "\x7f"])
def test_a_malformed_key_is_a_coded_400_and_stores_nothing(service: Intake, key: str) -> None:
    stored = events(service)
    headers = {**service.as_("clerk.li", organ=CITY)}
    refused = service.client.post(
        "/petitions", json=body(), headers={**headers, "Idempotency-Key": key.encode("utf-8")}
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "idempotency_key_invalid"
    assert "幂等键" in error["message_zh"] and "Idempotency-Key" in error["message_en"]
    assert events(service) == stored


def test_a_refused_registration_records_no_key(service: Intake) -> None:
    refused = post(service, body(channel="pigeon"), "k-refused")
    assert refused.status_code == 422
    # The key is free: the corrected form registers under it.
    assert post(service, body(), "k-refused").status_code == 201


def test_twenty_concurrent_duplicates_make_one_case(service: Intake) -> None:
    payload = body()
    stored = events(service)
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: post(service, payload, "double-click"), range(20)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["case_id"] for a in answers}) == 1
    assert len({a.json()["registration_number"] for a in answers}) == 1
    assert events(service) == stored + 1


def test_the_claim_commits_with_the_events_so_a_lost_answer_never_creates_twice(
    service: Intake,
) -> None:
    """A process that dies after storing the case but before storing the answer: the
    claim was stored with the case's events, so the retry is refused, not run again."""
    from datetime import UTC, datetime

    from domain.errors import Conflict
    from infra.idempotency import Claim
    from tests.actors import staff

    clerk = staff("clerk.li", CITY, "petition", "petition_clerk")
    claim = Claim("clerk.li", "dies-midway", "f" * 64)

    def register_then_die() -> None:
        service.intake.register(
            organ_code=CITY,
            actor=clerk,
            channel="letter",
            summary="反映某局长违规收受礼金",
            received_at=datetime.now(UTC),
        )
        raise RuntimeError("the process died before the answer was stored")

    stored = events(service)
    with pytest.raises(RuntimeError):
        service.intake.idempotency.run(claim, register_then_die)
    assert events(service) == stored + 1  # the case was stored

    with pytest.raises(Conflict) as refused:
        service.intake.idempotency.run(claim, register_then_die)
    assert refused.value.code == "idempotency_key_unfinished"
    assert events(service) == stored + 1
