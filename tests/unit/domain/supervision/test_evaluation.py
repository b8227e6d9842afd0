"""一案一评: reproducible draw, score sheet, negative-score items, rectification, escalation."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import WorkingCalendar
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.guards import CHINA_TZ
from domain.rules import Rules
from domain.supervision.config import SupervisionConfig, closed_loop_fields
from domain.supervision.evaluation import ItemStatus, MonthlyEvaluation
from domain.supervision.sampling import draw_sample
from domain.supervision.scoring import ScoreSheet
from tests.actors import staff

CAL = WorkingCalendar.default()
RULES = Rules.default()
SHEET = ScoreSheet.default()
AT = datetime(2026, 12, 3, 9, tzinfo=CHINA_TZ)
EVALUATOR = staff("评查组", "330683", "case_management", "evaluator")
TOWN = staff("剡湖整改", "330683001", "supervision", "handler")
POP = [{"case_id": f"c{n:03d}", "organ": "330683001" if n % 2 else "330683002"}
       for n in range(40)]


def drawn(seed: str = "seed-1", size: int = 5) -> MonthlyEvaluation:
    return MonthlyEvaluation.draw(EVALUATOR, "2026-11", ["330683001", "330683002"], POP, size,
                                  seed, SHEET, at=AT)


@given(st.lists(st.text(min_size=1, max_size=8), max_size=60), st.integers(1, 30),
       st.text(min_size=1, max_size=10))
def test_the_same_seed_and_population_draw_the_same_sample(population, size, seed) -> None:
    first = draw_sample(population, size, seed)
    assert first == draw_sample(list(reversed(population)), size, seed)
    assert len(first) == min(size, len(set(population))) and set(first) <= set(population)


def test_the_draw_records_seed_and_population_and_can_be_redrawn() -> None:
    e = drawn()
    assert e.seed == "seed-1" and len(e.population) == 40 and len(e.sample) == 5
    assert drawn().sample == e.sample
    assert draw_sample([p["case_id"] for p in e.population], e.size, e.seed) == e.sample
    assert drawn("other").sample != e.sample


@pytest.mark.parametrize(
    ("kw", "error", "code"),
    [
        ({"month": "2026-13"}, InvalidInput, "month_invalid"),
        ({"size": 0}, InvalidInput, "sample_size_invalid"),
        ({"seed": " "}, InvalidInput, "seed_invalid"),
        ({"organs": []}, InvalidInput, "organs_required"),
        ({"organs": ["620102"]}, Forbidden, "evaluation_outside_subtree"),
        ({"evaluator": TOWN}, Forbidden, "evaluator_only"),
    ],
)
def test_bad_draws_are_refused(kw, error, code) -> None:
    args = {"evaluator": EVALUATOR, "month": "2026-11", "organs": ["330683001"], "size": 5,
            "seed": "s"}
    args.update(kw)
    with pytest.raises(error) as refused:
        MonthlyEvaluation.draw(args["evaluator"], args["month"], args["organs"], POP,
                               args["size"], args["seed"], SHEET, at=AT)
    assert refused.value.code == code


def test_a_case_scored_67_fails_and_each_lost_point_is_an_item() -> None:
    e = drawn()
    case = next(c for c in e.sample if e.organ_of[c] == "330683001")
    total = e.score(EVALUATOR, case, {"facts_verified": 15, "reply_in_time": 10,
                                      "owner_clear": 8, "leader_signed": 0}, SHEET, RULES,
                    CAL, date(2026, 12, 3), at=AT)
    assert total == 67 and e.scores[case]["grade"] == "fail"
    assert sorted(i["item"] for i in e.items.values()) == [
        "facts_verified", "owner_clear", "reply_in_time"]
    assert {i["due"] for i in e.items.values()} == {"2026-12-18"}
    assert e.failing_cases()[0]["case_id"] == case
    with pytest.raises(Conflict):
        e.score(EVALUATOR, case, {}, SHEET, RULES, CAL, date(2026, 12, 3), at=AT)
    first, second, third = sorted(e.items)
    with pytest.raises(Forbidden):
        e.submit_rectification(staff("x", "330683002", "supervision"), first, "证据", at=AT)
    e.submit_rectification(TOWN, first, "已补充调查笔录", at=AT)
    with pytest.raises(Conflict):
        e.submit_rectification(TOWN, first, "again", at=AT)
    e.review_rectification(EVALUATOR, first, True, at=AT)
    e.submit_rectification(TOWN, second, "仅口头说明", at=AT)
    with pytest.raises(InvalidInput):
        e.review_rectification(EVALUATOR, second, False, None, at=AT)
    e.review_rectification(EVALUATOR, second, False, "证据不足", at=AT)
    with pytest.raises(Conflict):
        e.review_rectification(EVALUATOR, second, True, at=AT)
    assert e.items_overdue(date(2026, 12, 18)) == []
    assert sorted(e.escalate_overdue(date(2026, 12, 19), at=AT)) == [second, third]
    assert e.items[first]["status"] == ItemStatus.RECTIFIED
    assert e.items[third]["status"] == ItemStatus.ESCALATED
    assert e.escalate_overdue(date(2026, 12, 20), at=AT) == []
    assert e.as_dict()["failing"][0]["score"] == 67


def test_scoring_refusals() -> None:
    e = drawn()
    case = e.sample[0]
    score = lambda who, c, lost, sheet=SHEET: e.score(  # noqa: E731
        who, c, lost, sheet, RULES, CAL, date(2026, 12, 3), at=AT)
    with pytest.raises(NotFound):
        score(EVALUATOR, "not-sampled", {})
    with pytest.raises(Forbidden):
        score(staff("x", "3306", "case_management", "evaluator"), case, {})
    with pytest.raises(Forbidden):
        score(TOWN, case, {})
    with pytest.raises(InvalidInput) as unknown:
        score(EVALUATOR, case, {"nothing": 1})
    assert unknown.value.code == "score_item_unknown"
    with pytest.raises(InvalidInput) as too_many:
        score(EVALUATOR, case, {"reply_clear": 6})
    assert too_many.value.code == "score_points_invalid"
    other = ScoreSheet(list(SHEET.items.values()), version="v2")
    with pytest.raises(Conflict):
        score(EVALUATOR, case, {}, other)
    assert score(EVALUATOR, case, {}) == 100 and e.scores[case]["grade"] == "excellent"
    with pytest.raises(NotFound):
        e.submit_rectification(TOWN, "missing", "x", at=AT)
    with pytest.raises(Forbidden):
        e.review_rectification(TOWN, "missing", True, at=AT)
    with pytest.raises(Forbidden):
        e.review_rectification(staff("x", "3306", "case_management", "evaluator"), "m", True,
                               at=AT)


def test_the_score_sheet_adds_up_to_100_and_is_configurable() -> None:
    assert sum(SHEET.weights().values()) == 100 and len(SHEET.weights()) == 5
    config = SupervisionConfig.from_mapping({
        "version": "t1",
        "orders": {"reminder_days_before": 2},
        "evaluation": {"sample_size": 3, "dimensions": {
            d: {f"{d}_a": {"zh": "甲", "points": 20}}
            for d in ("responsibility", "procedure", "investigation", "disposal",
                      "reply_feedback")}},
    }, frozenset({"finance"}))
    assert config.sheet.weights()["procedure"] == 20 and config.sample_size == 3
    assert config.reminder_days_before == 2 and config.closed_loop_fields == {"finance"}
    assert SupervisionConfig.from_mapping({"version": "x"}).sheet.version == "builtin"
    assert len(SHEET.as_list()) == 10


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"version": ""},
        {"version": "x", "orders": []},
        {"version": "x", "orders": {"reminder_days_before": -1}},
        {"version": "x", "evaluation": {"dimensions": []}},
        {"version": "x", "evaluation": {"dimensions": {"procedure": {}}}},
        {"version": "x", "evaluation": {"dimensions": {"procedure": {"a": {"zh": "甲"}}}}},
        {"version": "x", "evaluation": {"dimensions": {"procedure": {"a": {"points": 5}}}}},
        {"version": "x", "evaluation": {"dimensions": {"procedure": {"a": {"zh": "甲",
                                                                          "points": 100}}}}},
    ],
)
def test_bad_configuration_is_refused(data) -> None:
    with pytest.raises(InvalidInput) as refused:
        SupervisionConfig.from_mapping(data)
    assert refused.value.code in {"supervision_config_invalid", "score_sheet_invalid"}


def test_a_sheet_not_adding_to_100_or_repeating_codes_is_refused() -> None:
    items = list(SHEET.items.values())
    with pytest.raises(InvalidInput):
        ScoreSheet(items[:-1])
    with pytest.raises(InvalidInput):
        ScoreSheet([*items, items[0]])


def test_closed_loop_fields_come_from_the_key_field_records() -> None:
    records = [{"code": "poverty_alleviation", "closed_loop": True}, {"code": "finance"}, "x"]
    assert closed_loop_fields(records) == {"poverty_alleviation"}
    assert closed_loop_fields(None) == frozenset()
