"""Substance hints: flag names without facts; a hint for the clerk, never a decision."""

from __future__ import annotations

import pytest

from domain.substance import FactKind, assess_substance


@pytest.mark.parametrize(
    "text, names",
    [
        ("张三贪污腐败,以权谋私,请严查!", ()),
        ("村支书作风有问题", ()),
        ("王某违纪违法", ()),
        ("举报李四", ("李四",)),
        ("请组织调查此人", ("赵六",)),
    ],
)
def test_names_without_facts_are_flagged(text: str, names: tuple[str, ...]) -> None:
    result = assess_substance(text, names)
    assert result.flagged and result.found == () and result.missing == tuple(FactKind)
    assert result.hint_zh and "领导审批" in result.hint_zh
    assert result.hint_en and "leader" in result.hint_en


@pytest.mark.parametrize(
    "text, kind",
    [
        ("张三贪污,2023年3月的事", FactKind.TIME),
        ("村主任去年春节期间以权谋私", FactKind.TIME),
        ("镇长在某酒店以权谋私", FactKind.PLACE),
        ("书记在东风村违规", FactKind.PLACE),
        ("局长贪污5万元", FactKind.AMOUNT),
        ("局长贪污三万元", FactKind.AMOUNT),
        ("会计挪用扶贫资金", FactKind.ACT),
        ("王某收受红包", FactKind.ACT),
    ],
)
def test_any_fact_clears_the_flag(text: str, kind: FactKind) -> None:
    result = assess_substance(text)
    assert kind in result.found and not result.flagged
    assert result.hint_zh is None and result.hint_en is None


def test_a_detailed_report() -> None:
    result = assess_substance("张三于2023年3月5日在县城某酒店收受李四红包5000元", ["张三"])
    assert result.names_person and set(result.found) == set(FactKind) and not result.missing


def test_text_without_person_or_act_is_not_flagged() -> None:
    result = assess_substance("我家楼上漏水,物业不管")
    assert not result.flagged and not result.names_person and not result.names_act


def test_empty_text_is_flagged() -> None:
    result = assess_substance("  ")
    assert result.flagged and result.hint_zh and "为空" in result.hint_zh
    assert assess_substance("").flagged


def test_fact_kind_labels() -> None:
    assert FactKind.AMOUNT.label_zh == "金额或数量"
