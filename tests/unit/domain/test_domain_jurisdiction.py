"""Jurisdiction on the demo org tree: who handles it, the first hop, and why."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput, NotFound
from domain.hierarchy import OrgTree
from domain.jurisdiction import ReportedPerson, decide_jurisdiction, first_hop
from domain.vocabulary import CadreLevel as C
from domain.vocabulary import Office
from domain.vocabulary import TransferKind as T
from infra.datafiles import load_yaml

TREE = OrgTree.from_records(load_yaml("orgs.yaml")["organs"])
CODES = [o.code for o in TREE.organs()]


def person(level: C, **kw: str) -> ReportedPerson:
    return ReportedPerson(name=kw.pop("name", "张三"), cadre_level=level, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "registering, persons, organ, action, hop",
    [
        ("620102", [person(C.COUNTY_MANAGED)], "620102", T.INTERNAL_TRANSFER, "620102"),
        ("620102", [person(C.CITY_MANAGED)], "6201", T.REPORT_UP, "6201"),
        ("620102", [person(C.PROVINCE_MANAGED)], "62", T.REPORT_UP, "62"),
        (
            "62",
            [person(C.VILLAGE_CADRE, unit_region="620102001")],
            "620102001",
            T.FORWARD_DOWN,
            "620102001",
        ),
        ("62", [person(C.PARTY_MEMBER, unit_region="620102")], "620102", T.FORWARD_DOWN, "620102"),
        (
            "620102",
            [person(C.COUNTY_MANAGED, unit="城关区人民法院")],
            "620102Z01",
            T.TO_STATIONED_UNIT,
            "620102Z01",
        ),
        (
            "150403",
            [person(C.TOWNSHIP_MANAGED, unit="元宝山区人民法院")],
            "150403Z01",
            T.TO_STATIONED_UNIT,
            "150403Z01",
        ),
        (
            "6201",
            [person(C.COUNTY_MANAGED, unit="城关区人民法院", unit_region="620102")],
            "620102Z01",
            T.FORWARD_DOWN,
            "620102",
        ),
        ("620102Z01", [person(C.CITY_MANAGED)], "6201", T.FROM_STATIONED_UNIT, "620102"),
        (
            "62",
            [person(C.SUPERVISION_OBJECT, supervised_by="62Z01")],
            "62Z01",
            T.TO_STATIONED_UNIT,
            "62Z01",
        ),
        (
            "62",
            [person(C.SUPERVISION_OBJECT, managed_by="62E01", unit="酒钢集团")],
            "62E01",
            T.FORWARD_DOWN,
            "62E01",
        ),
        (
            "620102",
            [person(C.SUPERVISION_OBJECT, unit_region="620103")],
            "620103",
            T.REPORT_UP,
            "6201",
        ),
        ("620102", [person(C.COUNTY_MANAGED, managed_by="15")], "15", T.HAND_OVER_OUTWARD, None),
        ("330683001", [person(C.CITY_MANAGED, managed_by="3306")], "3306", T.REPORT_UP, "3306"),
    ],
)
def test_decisions(
    registering: str, persons: list[ReportedPerson], organ: str, action: T, hop: str | None
) -> None:
    decision = decide_jurisdiction(TREE, registering, persons)
    assert (decision.organ.code, decision.action, decision.next_hop) == (organ, action, hop)
    assert decision.office is Office.SUPERVISION
    assert decision.reason_zh and decision.reason_en
    assert TREE.get(registering).name in decision.reason_zh
    assert (
        TREE.may_route(
            action, registering, hop if action is not T.INTERNAL_TRANSFER else registering
        )
        or action is T.HAND_OVER_OUTWARD
    )
    assert decision.stays_here == (action is T.INTERNAL_TRANSFER)


def test_reason_names_the_person_and_the_onward_hop() -> None:
    decision = decide_jurisdiction(
        TREE, "6201", [person(C.COUNTY_MANAGED, unit="城关区人民法院", unit_region="620102")]
    )
    assert "张三" in decision.reason_zh and "县管干部" in decision.reason_zh
    assert "城关区人民法院" in decision.reason_zh
    assert "再由其转至" in decision.reason_zh and "passes it on" in decision.reason_en
    assert decision.deciding_person == "张三" and not decision.needs_review


def test_the_person_managed_highest_decides() -> None:
    decision = decide_jurisdiction(
        TREE,
        "620102",
        [
            person(C.VILLAGE_CADRE, name="李四", unit_region="620102001"),
            person(C.CITY_MANAGED, name="王五"),
            person(C.COUNTY_MANAGED, name="赵六"),
        ],
    )
    assert decision.organ.code == "6201" and decision.deciding_person == "王五"
    assert "最高" in decision.reason_zh and "highest" in decision.reason_en


def test_same_level_under_different_commissions_goes_to_their_common_superior() -> None:
    decision = decide_jurisdiction(
        TREE,
        "620102",
        [
            person(C.COUNTY_MANAGED, name="甲", unit_region="620102"),
            person(C.COUNTY_MANAGED, name="乙", unit_region="620103"),
        ],
    )
    assert decision.organ.code == "6201" and decision.action is T.REPORT_UP
    assert "共同上级" in decision.reason_zh and "common superior" in decision.reason_en


def test_same_level_in_different_provinces_stays_with_the_first() -> None:
    decision = decide_jurisdiction(
        TREE,
        "62",
        [
            person(C.PROVINCE_MANAGED, name="甲"),
            person(C.PROVINCE_MANAGED, name="乙", managed_by="33"),
        ],
    )
    assert decision.organ.code == "62" and decision.action is T.INTERNAL_TRANSFER


@pytest.mark.parametrize(
    "registering, p, organ",
    [
        ("620102", person(C.TOWNSHIP_MANAGED), "620102"),
        ("6201", person(C.TOWNSHIP_MANAGED), "6201"),
        ("6201", person(C.VILLAGE_CADRE), "6201"),
    ],
)
def test_imprecise_regions_are_flagged_for_review(
    registering: str, p: ReportedPerson, organ: str
) -> None:
    decision = decide_jurisdiction(TREE, registering, [p])
    assert decision.organ.code == organ and decision.needs_review
    assert "人工核定" in decision.reason_zh


def test_village_cadre_at_county_needs_no_review() -> None:
    decision = decide_jurisdiction(TREE, "620102", [person(C.VILLAGE_CADRE)])
    assert decision.organ.code == "620102" and not decision.needs_review


def test_a_county_directly_under_a_province_and_a_partial_tree() -> None:
    tree = OrgTree.from_records(
        [
            {"code": "42", "name": "湖北省纪委监委", "level": "province"},
            {"code": "429004", "name": "仙桃市纪委监委", "level": "county", "parent": "42"},
            {"code": "330683", "name": "嵊州市纪委监委", "level": "county"},
        ]
    )
    direct = decide_jurisdiction(tree, "429004", [person(C.CITY_MANAGED)])
    assert direct.organ.code == "42" and direct.needs_review
    partial = decide_jurisdiction(tree, "330683", [person(C.PROVINCE_MANAGED)])
    assert partial.organ.code == "330683" and partial.needs_review


def test_refusals() -> None:
    with pytest.raises(InvalidInput) as err:
        decide_jurisdiction(TREE, "620102", [])
    assert err.value.code == "jurisdiction_no_person"
    with pytest.raises(InvalidInput) as err:
        decide_jurisdiction(TREE, "620102", [person(C.PARTY_MEMBER, supervised_by="620102")])
    assert err.value.code == "jurisdiction_not_stationed_unit"
    with pytest.raises(NotFound):
        decide_jurisdiction(TREE, "9999", [person(C.PARTY_MEMBER)])


@settings(max_examples=150, deadline=None)
@given(source=st.sampled_from(CODES), target=st.sampled_from(CODES))
def test_hops_are_allowed_and_reach_the_target(source: str, target: str) -> None:
    current = source
    for _ in range(6):
        kind, hop = first_hop(TREE, current, target)
        if kind is T.INTERNAL_TRANSFER:
            assert current == target
            return
        if kind is T.HAND_OVER_OUTWARD:
            assert TREE.common_ancestor(current, target) is None
            return
        TREE.check_route(kind, current, hop)
        assert hop is not None
        current = hop
    raise AssertionError(f"{source} → {target} did not arrive")


def test_an_unsupervised_unit_stays_with_the_commission() -> None:
    decision = decide_jurisdiction(TREE, "620102", [person(C.COUNTY_MANAGED, unit="城关区教育局")])
    assert decision.organ.code == "620102" and decision.action is T.INTERNAL_TRANSFER


def test_three_provinces_have_no_common_superior() -> None:
    decision = decide_jurisdiction(
        TREE,
        "33",
        [
            person(C.PROVINCE_MANAGED, name="甲"),
            person(C.PROVINCE_MANAGED, name="乙", managed_by="62"),
            person(C.PROVINCE_MANAGED, name="丙", managed_by="15"),
        ],
    )
    assert decision.organ.code == "33" and decision.deciding_person == "甲"
