"""Two supervision processes on one store (replicas, or a consumer and the scheduler):
a handler takes an aggregate its index does not hold for one not stored, without reading
the store; when another writer stored it meanwhile, the batch's save conflicts and is
applied again after a catch-up, once."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from domain.contracts import HandlingEvents, PetitionEvents
from domain.hierarchy import OrgTree
from domain.supervision.casefile import SupervisedCase
from domain.supervision.keys import case_record_id
from services.supervision.application import SupervisionApplication
from services.supervision.main import load_config

from .upstream_events import COUNTY, T0, envelope

pytestmark = pytest.mark.integration


@pytest.fixture
def two(database_url: str, unique_schema: str, org_tree: OrgTree
        ) -> Iterator[tuple[SupervisionApplication, SupervisionApplication]]:
    apps = [SupervisionApplication(org_tree, config=load_config(), clock=lambda: T0,
                                   database_url=database_url, schema=unique_schema)
            for _ in range(2)]
    try:
        yield apps[0], apps[1]
    finally:
        for app in apps:
            app.close()


def test_a_case_record_stored_by_another_writer_after_the_catch_up_is_not_opened_twice(
    two: tuple[SupervisionApplication, SupervisionApplication],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = two
    case = str(uuid4())
    first.catch_up()
    second.catch_up()
    # The first process opens the case record; the second's index has not seen it.
    first.handle_batch([envelope(PetitionEvents.REGISTERED, case, 1, "intake",
                                 received_at=T0.isoformat(), key_fields=[])],
                       "intake.events#0")
    assert not second.holds(case_record_id(case))
    # The second applies a routing event of the case from its stale index: its new case
    # record conflicts with the stored one, and the batch is applied again after catching up.
    proposed = envelope(HandlingEvents.TRANSFER_PROPOSED, case, 1, "routing",
                        transfer_id="t1", kind="supervise_down", from_organ=COUNTY,
                        to_organ="620102001", to_office="supervision")
    second.handle_batch([proposed], "routing.events#0")
    assert second.tracked_position("routing.events#0") == 1
    stored = second.recorder.select_events(case_record_id(case))
    assert [e.originator_version for e in stored] == list(range(1, len(stored) + 1))
    assert stored[0].topic.endswith("SupervisedCase.Opened")
    assert sum(e.topic.endswith("Opened") for e in stored) == 1
    record = second.load_or_none(SupervisedCase, case_record_id(case))
    assert record is not None and "t1" in str(vars(record))
    # A case nobody stored is opened without reading the store for it.
    other = str(uuid4())
    read: list[object] = []
    select_events = second.recorder.select_events

    def counted(originator_id, *args, **kwargs):
        read.append(originator_id)
        return select_events(originator_id, *args, **kwargs)

    monkeypatch.setattr(second.recorder, "select_events", counted)
    second.handle_batch([envelope(PetitionEvents.REGISTERED, other, 2, "intake",
                                  received_at=T0.isoformat(), key_fields=[])],
                        "intake.events#0")
    assert case_record_id(other) not in read
    second.catch_up()
    assert second.holds(case_record_id(other))
