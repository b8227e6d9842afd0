"""One `ReportDescription`: registration and correction check the same rules, same codes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.petition import Attachment, Petition, ReportDescription, ReportedPerson

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
BASE: dict[str, Any] = {
    "channel": "letter",
    "received_at": T0 - timedelta(days=1),
    "summary": "反映某村支书挪用扶贫资金",
}

# Each is a change a correction may make, and the code both paths must give.
BROKEN: list[tuple[dict[str, Any], str]] = [
    ({"summary": " "}, "summary_invalid"),
    ({"summary": "x" * 501}, "summary_invalid"),
    ({"full_text": "x" * 100_001}, "full_text_too_long"),
    ({"reported_persons": [ReportedPerson("王某")] * 51}, "reported_persons_too_many"),
    ({"categories": ["other", "other"]}, "categories_duplicate"),
    ({"categories": ["nonsense"]}, "vocabulary_unknown_code"),
    ({"key_fields": ["finance", "finance"]}, "key_fields_invalid"),
    ({"keywords": ["k" * 31]}, "keywords_invalid"),
    ({"conduct_period": "someday"}, "vocabulary_unknown_code"),
    ({"received_at": T0 + timedelta(seconds=1)}, "received_after_registered"),
    ({"received_at": datetime(2024, 1, 1)}, "datetime_without_timezone"),
    ({"visitors": 0}, "visitors_out_of_range"),
    ({"visitors": 2}, "visitors_only_for_visits"),
    ({"visitors": True}, "visitors_out_of_range"),
]


@pytest.mark.parametrize(("change", "code"), BROKEN, ids=[c for _, c in BROKEN])
def test_registration_and_correction_refuse_alike(change: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as registering:
        ReportDescription.create(registered_at=T0, **{**BASE, **change})
    petition = Petition.register(
        organ_code="6201",
        actor="clerk",
        registration_number="6201-2024-000001",
        registered_at=T0,
        description=ReportDescription.create(registered_at=T0, **BASE),
    )
    with pytest.raises(InvalidInput) as correcting:
        petition.correct("更正", change, actor="clerk", at=T0)
    assert registering.value.code == correcting.value.code == code


def test_a_description_is_normalised_once_and_round_trips_through_events() -> None:
    attachment = Attachment.create("a" * 64, 10, "image/png", "photo")
    description = ReportDescription.create(
        registered_at=T0,
        channel="upper_handover",
        received_at=T0,
        summary="  摘要  ",
        handed_over_from=" 62 ",
        handover_reference="甘纪信转〔2024〕3号",
        reported_persons=[ReportedPerson.create("王某", "某局")],
        categories=["duty_violation", "eight_point_rules"],
        key_fields=[" finance "],
        keywords=["扶贫", "扶贫", " "],
        conduct_date=date(2023, 5, 1),
        attachments=[attachment],
    )
    assert description.summary == "摘要" and description.handed_over_from == "62"
    assert description.categories == ("eight_point_rules", "duty_violation")
    assert description.key_fields == ("finance",) and description.keywords == ("扶贫",)
    values = description.event_values()
    assert values["conduct_date"] == "2023-05-01"
    assert values["attachments"] == [attachment.to_dict()]
    assert ReportDescription.from_event_values(values) == description
    with pytest.raises(InvalidInput) as error:
        description.revised({"channel": "letter"}, registered_at=T0)
    assert error.value.code == "handover_fields_without_handover"
