"""Registration numbers taken in the registration's own transaction, on PostgreSQL: dense
and unique whoever else takes numbers (a second intake process, the history import),
with nothing stored by a registration whose number another writer took first."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.intake.application import CHINA, IntakeApplication
from tests.actors import staff

from .conftest import make_intake

pytestmark = pytest.mark.integration

ORGAN = "6201"
CLERK = staff("clerk.li", ORGAN, "petition", "petition_clerk")


def register(intake: IntakeApplication, summary: str = "反映某局长违规收受礼金") -> str:
    return intake.register(
        organ_code=ORGAN,
        actor=CLERK,
        channel="letter",
        summary=summary,
        received_at=datetime.now(UTC),
    ).registration_number


def serial(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def counter(intake: IntakeApplication) -> int:
    year = datetime.now(CHINA).year
    with intake.datastore_connection() as conn:
        row = conn.execute(
            "SELECT last_number FROM registration_counter WHERE organ_code = %s AND year = %s",
            (ORGAN, year),
        ).fetchone()
    assert row is not None
    return int(row[0])


def stored_registrations(intake: IntakeApplication) -> list[str]:
    notifications = intake.recorder.select_notifications(start=1, limit=10_000)
    events = [intake.mapper.to_domain_event(n) for n in notifications]
    return [e.registration_number for e in events if type(e).__qualname__ == "Petition.Registered"]


def test_numbers_follow_each_other_and_the_counter_moves_with_each_registration(
    database_url: str, unique_schema: str, tmp_path: Path
) -> None:
    _, intake, _ = make_intake(database_url, unique_schema, tmp_path)
    try:
        numbers = [serial(register(intake)) for _ in range(5)]
        assert numbers == [1, 2, 3, 4, 5]
        assert counter(intake) == 5
        assert [serial(n) for n in stored_registrations(intake)] == numbers
    finally:
        intake.close()


def test_numbers_another_writer_took_are_never_given_again_and_nothing_is_half_stored(
    database_url: str, unique_schema: str, tmp_path: Path
) -> None:
    _, first, _ = make_intake(database_url, unique_schema, tmp_path)
    _, second, _ = make_intake(database_url, unique_schema, tmp_path)  # another process
    try:
        year = datetime.now(CHINA).year
        given = [register(first), register(first)]
        given.append(register(second))  # the first process's book is now behind
        given.append(register(first))
        # The history import reserves a block of numbers behind both processes' backs.
        reserved = second.side.reserve_numbers({(ORGAN, year): 10})[(ORGAN, year)]
        given += [register(first), register(second)]
        serials = [serial(n) for n in given]
        assert len(set(serials)) == len(serials), serials
        assert not set(serials) & set(range(reserved, reserved + 10))
        assert serials[:4] == [1, 2, 3, 4]
        assert serials[4:] == [15, 16]
        assert counter(first) == 16
        # Every registration was stored once: the refused attempts left no event behind.
        assert sorted(stored_registrations(first)) == sorted(given)
    finally:
        first.close()
        second.close()


def test_concurrent_registrations_get_distinct_dense_numbers(
    database_url: str, unique_schema: str, tmp_path: Path
) -> None:
    _, first, _ = make_intake(database_url, unique_schema, tmp_path)
    _, second, _ = make_intake(database_url, unique_schema, tmp_path)
    given: list[str] = []
    failures: list[BaseException] = []

    def work(intake: IntakeApplication, k: int) -> None:
        try:
            for i in range(8):
                given.append(register(intake, f"反映某局长违规收受礼金 {k}-{i}"))
        except BaseException as failure:  # noqa: BLE001 - reported by the assertion below
            failures.append(failure)

    try:
        threads = [
            threading.Thread(target=work, args=(app, k))
            for k, app in enumerate([first, first, second, second])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert sorted(serial(n) for n in given) == list(range(1, 33))
        assert counter(first) == 32
        assert sorted(stored_registrations(first)) == sorted(given)
    finally:
        first.close()
        second.close()
