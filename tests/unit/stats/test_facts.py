"""The case fact projector: each handler through the `{event type: handler}` tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from domain.contracts import PUBLISHED, Envelope, HandlingEvents, PetitionEvents
from services.stats.facts import (
    COLUMNS,
    HANDLERS_BY_SOURCE,
    SUPERVISION_HANDLERS,
    Context,
    Projector,
    deadline_closed,
    deadline_opened,
    event_time,
    most_senior,
    warning_raised,
)

CHINA = dt.timezone(dt.timedelta(hours=8))
CASE = str(uuid.uuid4())
PROJECTOR = Projector(Context(lambda code: ["62", "6201", code] if code != "62" else ["62"]))


def envelope(
    source: str, event_type: str, stored: str = "2025-03-01T10:00:00+08:00", **payload: Any
):
    return Envelope(
        event_id=str(uuid.uuid4()),
        type=event_type,
        case_id=CASE,
        sequence=1,
        organ_code=payload.pop("organ", "620102"),
        actor="clerk",
        occurred_at=stored,
        source=source,
        payload=payload,
    )


REGISTERED = envelope(
    "intake",
    PetitionEvents.REGISTERED,
    channel="visit",
    visitors=4,
    received_at="2025-02-28T23:30:00+08:00",
    registered_at="2025-03-01T09:00:00+08:00",
    real_name=True,
    categories=["duty_crime", "eight_point_rules"],
    key_fields=["finance"],
    reported_persons=[
        {"name": "甲", "cadre_level": "village_cadre"},
        {"name": "乙", "cadre_level": "county_managed"},
        {"name": "丙", "cadre_level": None},
    ],
)


def apply(part, event, last=None):
    return PROJECTOR.apply(part, event, last)


def test_every_handler_is_keyed_by_a_published_event_type():
    for source, handlers in HANDLERS_BY_SOURCE.items():
        for event_type in handlers:
            assert PUBLISHED[event_type].topic == f"{source}.events"


def test_a_registration_records_every_intake_dimension():
    change = apply(None, REGISTERED)
    part = change.part
    assert set(part) == set(COLUMNS["intake"])
    assert part["organ_path"] == ["62", "6201", "620102"]
    assert part["received_on"] == dt.date(2025, 2, 28)  # Beijing day, not UTC
    assert part["category"] == "eight_point_rules"  # the primary, whatever the order
    assert part["cadre_levels"] == ["county_managed", "village_cadre"]
    assert part["cadre_level"] == "county_managed"
    assert part["stage"] == "received" and part["scope"] is None and not part["is_repeat"]
    assert change.valid_from == dt.datetime(2025, 3, 1, 9, tzinfo=CHINA)


def test_screening_sets_scope_type_and_repeat():
    part = apply(None, REGISTERED).part
    accepted = apply(
        part,
        envelope(
            "intake",
            PetitionEvents.ACCEPTED,
            report_type="appeal",
            decided_at="2025-03-02T09:00:00+08:00",
        ),
    ).part
    assert (accepted["scope"], accepted["report_type"], accepted["screening"]) == (
        "in_scope",
        "appeal",
        "accepted",
    )
    diverted = apply(part, envelope("intake", PetitionEvents.DIVERTED, department="法院")).part
    assert (diverted["scope"], diverted["diverted_to"]) == ("out_of_scope", "法院")
    repeat = apply(
        part, envelope("intake", PetitionEvents.LINKED_AS_REPEAT, first_case_id="x")
    ).part
    assert repeat["is_repeat"] and repeat["scope"] == "in_scope" and repeat["first_case_id"] == "x"
    refused = apply(part, envelope("intake", PetitionEvents.NOT_ACCEPTED, reason="无实质")).part
    assert refused["screening"] == "not_accepted" and refused["scope"] == "in_scope"


def test_a_correction_changes_what_it_names_and_nothing_else():
    part = apply(None, REGISTERED).part
    corrected = apply(
        part,
        envelope(
            "intake",
            PetitionEvents.CORRECTED,
            changes={
                "categories": ["other"],
                "key_fields": [],
                "reported_persons": [{"name": "丁", "cadre_level": "province_managed"}],
                "received_at": "2025-03-03T08:00:00+08:00",
                "visitors": 2,
            },
            corrected_at="2025-03-04T08:00:00+08:00",
        ),
    ).part
    assert corrected["category"] == "other" and corrected["key_fields"] == []
    assert corrected["cadre_level"] == "province_managed"
    assert corrected["received_on"] == dt.date(2025, 3, 3) and corrected["visitors"] == 2
    assert corrected["channel"] == "visit" and corrected["real_name"] is True
    empty = envelope("intake", PetitionEvents.CORRECTED, changes={})
    assert apply(part, empty) is None


def test_events_that_change_no_fact_are_not_a_change():
    part = apply(None, REGISTERED).part
    assert apply(part, envelope("intake", PetitionEvents.ATTACHMENT_ADDED)) is None
    assert apply(part, envelope("intake", "Petition.SomethingNew")) is None
    assert apply(None, envelope("supervision", "Deadline.Opened")) is None


def test_custody_follows_transfers_report_back_and_send_back():
    opened = apply(None, envelope("routing", HandlingEvents.OPENED)).part
    assert (opened["holder_organ"], opened["handling_status"]) == ("620102", "open")
    proposed = apply(
        opened,
        envelope(
            "routing",
            HandlingEvents.TRANSFER_PROPOSED,
            kind="assign_down",
            to_organ="620102001",
            to_office="petition",
            external_body=None,
        ),
    ).part
    received = apply(proposed, envelope("routing", HandlingEvents.TRANSFER_RECEIVED)).part
    assert received["holder_organ"] == "620102001" and received["assigned_from_above"]
    assert received["pending_kind"] is None
    concluded = apply(
        received,
        envelope(
            "routing", HandlingEvents.CONCLUDED, outcome="party_sanction", substantiation="true"
        ),
    ).part
    assert concluded["outcome"] == "party_sanction" and concluded["handling_status"] == "concluded"
    back = apply(
        concluded,
        envelope(
            "routing", HandlingEvents.REPORTED_BACK, to_organ="620102", to_office="supervision"
        ),
    ).part
    assert (back["holder_organ"], back["handling_status"]) == ("620102", "under_review")
    redo = apply(back, envelope("routing", HandlingEvents.SENT_BACK, reason="重办")).part
    assert redo["holder_organ"] == "620102001" and redo["outcome"] is None
    assert redo["handling_status"] == "open"
    # Newer events name the holder themselves.
    named = apply(
        back,
        envelope(
            "routing",
            HandlingEvents.SENT_BACK,
            reason="重办",
            holder_organ="620102002",
            holder_office="supervision",
        ),
    ).part
    assert named["holder_organ"] == "620102002"


def test_a_hand_over_outward_leaves_the_system_and_feedback_records_satisfaction():
    opened = apply(None, envelope("routing", HandlingEvents.OPENED)).part
    proposed = apply(
        opened,
        envelope(
            "routing",
            HandlingEvents.TRANSFER_PROPOSED,
            kind="hand_over_outward",
            external_body="检察院",
        ),
    ).part
    out = apply(proposed, envelope("routing", HandlingEvents.TRANSFER_RECEIVED)).part
    assert out["handling_status"] == "handed_over" and out["holder_external"] == "检察院"
    withdrawn = apply(proposed, envelope("routing", HandlingEvents.TRANSFER_WITHDRAWN)).part
    assert withdrawn["pending_kind"] is None and withdrawn["holder_organ"] == "620102"
    asked = apply(
        opened, envelope("routing", HandlingEvents.FEEDBACK_GIVEN, satisfaction="dissatisfied")
    ).part
    assert asked["satisfaction"] == "dissatisfied"
    assert (
        apply(opened, envelope("routing", HandlingEvents.FEEDBACK_GIVEN, satisfaction=None)) is None
    )


def test_history_never_goes_back_in_time():
    late = dt.datetime(2025, 4, 1, tzinfo=CHINA)
    change = apply(None, REGISTERED, last=late)
    assert change.valid_from == late
    routing = envelope("routing", HandlingEvents.OPENED, stored="2025-05-01T08:00:00+08:00")
    assert event_time(routing) == dt.datetime(2025, 5, 1, 8, tzinfo=CHINA)
    stamped = envelope(
        "routing",
        HandlingEvents.OPENED,
        stored="2025-05-01T08:00:00+08:00",
        at="2025-04-30T08:00:00+08:00",
    )
    assert event_time(stamped) == dt.datetime(2025, 4, 30, 8, tzinfo=CHINA)


def test_supervision_handlers_count_deadlines_and_keep_the_worst_warning():
    assert SUPERVISION_HANDLERS == {} or all(SUPERVISION_HANDLERS.values())
    context = PROJECTOR.context
    first = deadline_opened(None, envelope("supervision", "x"), context)
    second = deadline_opened(first, envelope("supervision", "x"), context)
    yellow = warning_raised(second, envelope("supervision", "x", level="yellow"), context)
    red = warning_raised(yellow, envelope("supervision", "x", level="red"), context)
    again = warning_raised(red, envelope("supervision", "x", level="yellow"), context)
    assert (again["warning"], again["overdue"]) == ("red", True)
    met = deadline_closed(again, envelope("supervision", "x", met=True), context)
    late = deadline_closed(met, envelope("supervision", "x", late=True), context)
    assert (late["deadlines_open"], late["deadlines_met"], late["deadlines_missed"]) == (0, 1, 1)
    assert late["overdue"] is False


def test_the_most_senior_cadre_level_decides():
    assert most_senior(["party_member", "city_managed", "bogus"]) == "city_managed"
    assert most_senior([]) is None
