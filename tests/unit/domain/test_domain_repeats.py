"""Repeat matching: normalisation, scores with reasons, never a merge."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.repeats import (
    DEFAULT_CHAR_MAP,
    PersonKey,
    RepeatProbe,
    TextNormaliser,
    find_repeat_candidates,
    probe,
)
from domain.vocabulary import ProblemCategory as P
from infra.chinese_text import traditional_to_simplified_map

FULL = TextNormaliser(traditional_to_simplified_map())
BUILTIN = TextNormaliser()


@pytest.mark.parametrize(
    "a, b",
    [
        ("张 三", "张三"),
        ("張三", "张三"),
        ("元寶山區人民法院", "元宝山区人民法院"),
        ("ＡＢＣ公司", "abc公司"),
        ("阿卜杜·热合曼", "阿卜杜热合曼"),
        ("城关区（教育局）", "城关区教育局"),
        ("李\u3000四", "李四"),
    ],
)
def test_normalisation(a: str, b: str) -> None:
    assert FULL.normalise(a) == FULL.normalise(b)
    assert BUILTIN.normalise(a) == BUILTIN.normalise(b)


def test_injected_map_decides_traditional_folding() -> None:
    assert TextNormaliser({}).normalise("張三") == "張三"
    assert TextNormaliser({"張": "张", "too long": "x"}).normalise("張三") == "张三"
    # A character only the full OpenCC table knows.
    assert "鬱" not in DEFAULT_CHAR_MAP
    assert FULL.normalise("憂鬱") == "忧郁"


def test_builtin_table_agrees_with_opencc() -> None:
    full = traditional_to_simplified_map()
    assert {k: full.get(k) for k in DEFAULT_CHAR_MAP} == dict(DEFAULT_CHAR_MAP)


NEW = probe("c-new", [("张三", "元宝山区人民法院")], [P.INTEGRITY_DISCIPLINE])


def test_full_match_scores_one_with_reasons() -> None:
    old = probe("c-1", [("張三", "元寶山區人民法院")], [P.INTEGRITY_DISCIPLINE, P.DUTY_CRIME])
    [candidate] = find_repeat_candidates(NEW, [old], FULL)
    assert candidate.case_id == "c-1" and candidate.score == 1.0 and candidate.person == "张三"
    assert "姓名相同" in candidate.reason_zh and "单位相同" in candidate.reason_zh
    assert "违反廉洁纪律" in candidate.reason_zh
    assert "same reported person" in candidate.reason_en
    assert "integrity discipline" in candidate.reason_en


def test_partial_matches_rank_below_full_ones() -> None:
    existing = [
        probe("close-unit", [("张三", "元宝山区法院")], [P.INTEGRITY_DISCIPLINE]),
        probe("no-unit", [("张三", "")], [P.INTEGRITY_DISCIPLINE]),
        probe("other-unit", [("张三", "赤峰市教育局")], [P.INTEGRITY_DISCIPLINE]),
        probe("other-cat", [("张三", "元宝山区人民法院")], [P.LIFE_DISCIPLINE]),
        probe("no-cat", [("张三", "元宝山区人民法院")]),
        probe("other-name", [("张四", "元宝山区人民法院")], [P.INTEGRITY_DISCIPLINE]),
        probe("full", [("李四", "x"), ("张三", "元宝山区人民法院")], [P.INTEGRITY_DISCIPLINE]),
        probe("c-new", [("张三", "元宝山区人民法院")], [P.INTEGRITY_DISCIPLINE]),
    ]
    found = find_repeat_candidates(NEW, existing, FULL, min_score=0)
    assert [(c.case_id, c.score) for c in found] == [
        ("full", 1.0),
        ("close-unit", 0.9),
        ("no-cat", 0.85),
        ("no-unit", 0.8),
        ("other-cat", 0.8),
        ("other-unit", 0.7),
    ]
    reasons = {c.case_id: c.reason_zh for c in found}
    assert "单位相近" in reasons["close-unit"] and "单位信息不全" in reasons["no-unit"]
    assert "单位不同" in reasons["other-unit"] and "类别不同" in reasons["other-cat"]
    assert "类别未定" in reasons["no-cat"]
    assert [c.case_id for c in find_repeat_candidates(NEW, existing, FULL, min_score=0.85)] == [
        "full",
        "close-unit",
        "no-cat",
    ]


def test_empty_names_never_match() -> None:
    blank = RepeatProbe("b", (PersonKey(" "),))
    assert find_repeat_candidates(blank, [RepeatProbe("c", (PersonKey(""),))], min_score=0) == []


@settings(max_examples=80, deadline=None)
@given(
    name=st.text(alphabet="张三李四王五赵六張劉", min_size=1, max_size=4),
    unit=st.text(alphabet="城关区人民法院教育局", max_size=8),
    cats=st.sets(st.sampled_from(list(P)), max_size=3),
    spaces=st.booleans(),
)
def test_a_report_matches_a_respelling_of_itself(
    name: str, unit: str, cats: set[P], spaces: bool
) -> None:
    respelled = " ".join(name) if spaces else name.replace("张", "張")
    new = probe("a", [(name, unit)], cats)
    old = probe("b", [(respelled, unit)], cats)
    [candidate] = find_repeat_candidates(new, [old], FULL, min_score=0.5)
    expected = 0.5 + (0.3 if unit else 0.1) + (0.2 if cats else 0.05)
    assert candidate.score == pytest.approx(expected)
    assert 0 < candidate.score <= 1
