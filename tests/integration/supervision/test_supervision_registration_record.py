"""A registration opens supervision's case record with one stored event that carries its
facts (it took two: Opened, then RegistrationNoted, each signed, published and checked by
every consumer); a record opened first by routing notes the registration as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from uuid import uuid4

import pytest

from domain.contracts import Envelope, HandlingEvents, PetitionEvents
from domain.guards import CHINA_TZ
from domain.hierarchy import OrgTree
from domain.supervision.casefile import SupervisedCase
from domain.supervision.keys import case_record_id
from services.supervision.application import SupervisionApplication
from services.supervision.main import load_config

from .upstream_events import T0, envelope

pytestmark = pytest.mark.integration


@pytest.fixture
def app(database_url: str, unique_schema: str, org_tree: OrgTree
        ) -> Iterator[SupervisionApplication]:
    app = SupervisionApplication(org_tree, config=load_config(), clock=lambda: T0,
                                 database_url=database_url, schema=unique_schema)
    try:
        yield app
    finally:
        app.close()


def registered(case: str, n: int) -> Envelope:
    return envelope(PetitionEvents.REGISTERED, case, n, "intake", real_name=True,
                    received_at=datetime(2026, 11, 1, 10, tzinfo=CHINA_TZ).isoformat(),
                    key_fields=["finance"])


def stored_types(app: SupervisionApplication, case: str) -> list[str]:
    events = app.recorder.select_events(case_record_id(case))
    return [e.topic.rpartition(":")[2] for e in events]


def test_a_registration_opens_the_record_with_one_event(app: SupervisionApplication) -> None:
    case = str(uuid4())
    app.handle_batch([registered(case, 1)], "intake.events#0")
    assert stored_types(app, case) == ["SupervisedCase.Opened"]
    record = app.load_or_none(SupervisedCase, case_record_id(case))
    assert record is not None
    assert (record.received_on, record.real_name, record.key_fields) == (
        date(2026, 11, 1), True, ["finance"])
    # Delivered again, it changes nothing.
    app.handle_batch([registered(case, 1)], "intake.events#1")
    assert stored_types(app, case) == ["SupervisedCase.Opened"]


def test_a_record_routing_opened_first_notes_the_registration(
    app: SupervisionApplication,
) -> None:
    case = str(uuid4())
    app.handle_batch([envelope(HandlingEvents.OPENED, case, 1, "routing")], "routing.events#0")
    app.handle_batch([registered(case, 1)], "intake.events#0")
    assert stored_types(app, case) == ["SupervisedCase.Opened", "SupervisedCase.RegistrationNoted"]
    record = app.load_or_none(SupervisedCase, case_record_id(case))
    assert record is not None and record.real_name is True
