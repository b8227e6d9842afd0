"""The history file's line parser: a good line in every form, and every bad input refused
with its line number and a stable code (pure code, no database)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.guards import CHINA_TZ
from domain.rules import Rules
from domain.vocabulary import KeyFieldCatalogue
from infra.reference_data import load_org_tree
from services.importing.lines import LineRefused, parse_line
from services.intake.references import References

REFERENCES = References(load_org_tree(), Rules.default(), KeyFieldCatalogue.default())
NOW = datetime(2026, 12, 3, 12, tzinfo=CHINA_TZ)
RECEIVED = datetime(2025, 3, 1, 9, tzinfo=CHINA_TZ)
IDENTITY = {"name": "张晓梅", "id_number": "620102198001011239", "phone": "13919876543"}
CONCLUSION = {
    "disposal": "inquiry",
    "outcome": "criticism_education",
    "substantiation": "partly_true",
    "concluded_at": (RECEIVED + timedelta(days=30)).isoformat(),
}


def good(**changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "source_id": "GS-2025-0001",
        "organ": "620102",
        "channel": "letter",
        "received_at": RECEIVED.isoformat(),
        "visitors": 1,
        "real_name": False,
        "reported_persons": [{"name": "王某", "unit": "某局", "cadre_level": "county_managed"}],
        "categories": ["integrity_discipline", "eight_point_rules"],
        "key_fields": ["poverty_alleviation"],
        "summary": "反映某局长违规收受礼金",
        "screening": {"outcome": "accepted", "type": "accusation"},
    }
    line.update(changes)
    return {k: v for k, v in line.items() if v is not DROP}


DROP = object()


def parse(line: Any, number: int = 7) -> Any:
    text = line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
    return parse_line(text, number, REFERENCES, NOW)


def refused(line: Any, number: int = 7) -> LineRefused:
    with pytest.raises(LineRefused) as caught:
        parse(line, number)
    assert caught.value.line == number
    assert caught.value.error.message_zh and caught.value.error.message_en
    return caught.value


def test_a_good_line_becomes_a_checked_report() -> None:
    report = parse(good(conclusion=CONCLUSION, real_name=True, reporter=IDENTITY))
    assert (report.line, report.source_id, report.organ) == (7, "GS-2025-0001", "620102")
    assert report.received_at == RECEIVED
    # Recorded in the order of priority, like a live registration.
    assert report.description.categories == ("eight_point_rules", "integrity_discipline")
    assert report.description.real_name is True
    assert report.reporter is not None and report.reporter.name == "张晓梅"
    assert (report.screening.outcome, report.screening.detail) == ("accepted", "accusation")
    assert report.conclusion is not None
    assert report.conclusion.concluded_at == RECEIVED + timedelta(days=30)


@pytest.mark.parametrize(
    ("screening", "detail", "note"),
    [
        ({"outcome": "diverted", "department": "人社局"}, "人社局", ""),
        ({"outcome": "diverted", "department": "人社局", "explanation": "劳动争议"}, "人社局",
         "劳动争议"),
        ({"outcome": "not_accepted", "reason": "无实质内容"}, "无实质内容", ""),
        ({"outcome": "repeat", "first": "GS-2024-0009"}, "GS-2024-0009", ""),
    ],
)
def test_each_screening_outcome(screening: dict[str, str], detail: str, note: str) -> None:
    report = parse(good(screening=screening))
    assert (report.screening.outcome, report.screening.detail, report.screening.note) == (
        screening["outcome"], detail, note)
    assert report.conclusion is None


def test_a_visit_counts_its_visitors() -> None:
    assert parse(good(channel="visit", visitors=4)).description.visitors == 4


BAD = [
    ("{not json", "import_line_not_json"),
    ("[1, 2]", "import_line_not_object"),
    (good(summary=DROP), "import_field_missing"),
    (good(screening=DROP, organ=DROP), "import_field_missing"),
    (good(registered_by="x"), "import_field_unknown"),
    (good(source_id=""), "import_source_id_invalid"),
    (good(source_id="x" * 101), "import_source_id_invalid"),
    (good(source_id=17), "import_source_id_invalid"),
    (good(organ="999999"), "organ_unknown"),
    (good(organ=62), "import_field_type"),
    (good(channel="fax"), "vocabulary_unknown_code"),
    (good(received_at="yesterday"), "import_time_invalid"),
    (good(received_at="2025-03-01T09:00:00"), "datetime_without_timezone"),
    (good(received_at=20250301), "import_field_type"),
    (good(received_at=(NOW + timedelta(days=1)).isoformat()), "import_time_in_future"),
    (good(visitors=0), "visitors_out_of_range"),
    (good(visitors="2"), "visitors_out_of_range"),
    (good(visitors=3), "visitors_only_for_visits"),
    (good(real_name="yes"), "import_real_name_invalid"),
    (good(reporter=IDENTITY), "import_identity_of_anonymous"),
    (good(real_name=True, reporter={"name": "张三"}), "import_identity_fields"),
    (good(real_name=True, reporter={**IDENTITY, "id_number": "620102198001011238"}),
     "reporter_id_number_bad_check_digit"),
    (good(reported_persons="王某"), "import_field_type"),
    (good(reported_persons=["王某"]), "import_field_type"),
    (good(reported_persons=[{"name": "王某", "cadre_level": "emperor"}]),
     "vocabulary_unknown_code"),
    (good(categories=["gluttony"]), "vocabulary_unknown_code"),
    (good(categories=["other", "other"]), "categories_duplicate"),
    (good(key_fields=["moon_landing"]), "key_field_unknown"),
    (good(key_fields="finance"), "import_field_type"),
    (good(summary="   "), "summary_invalid"),
    (good(summary=["反映"]), "import_field_type"),
    (good(screening="accepted"), "import_field_type"),
    (good(screening={"outcome": "lost"}), "import_screening_outcome_unknown"),
    (good(screening={"outcome": "accepted"}), "import_screening_fields"),
    (good(screening={"outcome": "accepted", "type": "accusation", "reason": "x"}),
     "import_screening_fields"),
    (good(screening={"outcome": "accepted", "type": "gossip"}), "vocabulary_unknown_code"),
    (good(screening={"outcome": "diverted", "department": ""}), "screening.department_invalid"),
    (good(screening={"outcome": "repeat", "first": None}), "screening.first_invalid"),
    (good(screening={"outcome": "diverted", "department": "x"}, conclusion=CONCLUSION),
     "import_conclusion_not_accepted"),
    (good(conclusion="done"), "import_field_type"),
    (good(conclusion={**CONCLUSION, "findings": "x"}), "import_conclusion_fields"),
    (good(conclusion={k: v for k, v in CONCLUSION.items() if k != "disposal"}),
     "import_conclusion_fields"),
    (good(conclusion={**CONCLUSION, "outcome": "beheaded"}), "vocabulary_unknown_code"),
    (good(conclusion={**CONCLUSION, "disposal": "ignore"}), "vocabulary_unknown_code"),
    (good(conclusion={**CONCLUSION, "substantiation": "maybe"}), "vocabulary_unknown_code"),
    (good(conclusion={**CONCLUSION, "concluded_at": "2025-02-01T09:00:00+08:00"}),
     "import_concluded_before_received"),
    (good(conclusion={**CONCLUSION, "concluded_at": (NOW + timedelta(hours=1)).isoformat()}),
     "import_time_in_future"),
]


@pytest.mark.parametrize(("line", "code"), BAD)
def test_every_bad_input_is_refused_with_its_line_number_and_code(line: Any, code: str) -> None:
    assert refused(line, number=42).code == code


def test_a_refusal_names_the_line_in_its_message_and_its_dict() -> None:
    refusal = refused(good(channel="fax"), number=1234)
    assert str(refusal).startswith("line 1234: vocabulary_unknown_code")
    assert refusal.as_dict()["line"] == 1234
    assert refusal.as_dict()["code"] == "vocabulary_unknown_code"
