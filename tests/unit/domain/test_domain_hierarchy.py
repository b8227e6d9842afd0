"""The org tree: validation names the organ, queries follow the code prefix."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import Conflict, InvalidInput, NotFound
from domain.hierarchy import Level, Office, Organ, OrganKind, OrgTree
from domain.vocabulary import TransferKind as T


def rec(code: str, level: str, parent: Any, kind: str = "commission", **extra: Any) -> dict:
    return {
        "code": code,
        "name": f"机关{code}",
        "level": level,
        "kind": kind,
        "parent": parent,
        **extra,
    }


RECORDS = [
    rec("62", "province", None),
    rec("62Z01", "province", "62", "stationed_unit", supervises=["甘肃省教育厅"]),
    rec("62E01", "province", "62", "enterprise_commission"),
    rec("6201", "city", "62"),
    rec("620102", "county", "6201"),
    rec("620102Z01", "county", "620102", "stationed_unit", supervises=["城关区人民法院"]),
    rec("620102001", "township", "620102"),
    rec("620102002", "township", "620102"),
    rec("620103", "county", "6201"),
    rec("6205", "city", "62"),
    rec("15", "province", None),
]


@pytest.fixture(scope="module")
def tree() -> OrgTree:
    return OrgTree.from_records(RECORDS)


def codes(organs: list[Organ]) -> list[str]:
    return [o.code for o in organs]


def test_reexports_and_organ_shape(tree: OrgTree) -> None:
    organ = tree.get("620102Z01")
    assert organ == Organ(
        "620102Z01",
        "机关620102Z01",
        Level.COUNTY,
        OrganKind.STATIONED_UNIT,
        "620102",
        ("城关区人民法院",),
    )
    assert not organ.is_commission and tree.get("62E01").is_commission
    assert organ.offices == (Office.PETITION, Office.SUPERVISION)
    assert tree.get("62").offices == tuple(Office)
    assert OrgTree.from_records([o.as_record() for o in tree.organs()]).organs() == tree.organs()


def test_queries(tree: OrgTree) -> None:
    assert len(tree) == len(RECORDS)
    assert "6201" in tree and "9999" not in tree
    assert codes(tree.roots()) == ["15", "62"]
    assert tree.parent("62") is None
    assert tree.parent("620102001") == tree.get("620102")
    assert codes(tree.ancestors("620102Z01")) == ["620102", "6201", "62"]
    assert codes(tree.children("6201")) == ["620102", "620103"]
    assert codes(tree.subtree("620102")) == ["620102", "620102001", "620102002", "620102Z01"]
    assert codes(tree.subtree("62"))[0] == "62" and "15" not in codes(tree.subtree("62"))
    assert tree.in_subtree("620102001", "6201") and tree.in_subtree("6201", "6201")
    assert not tree.in_subtree("6201", "620102")
    assert codes(tree.stationed_units("62")) == ["62Z01"]
    assert codes(tree.at_level(Level.COUNTY)) == ["620102", "620103"]
    assert codes(tree.at_level(Level.CITY, within="62")) == ["6201", "6205"]


def ca(tree: OrgTree, a: str, b: str) -> str | None:
    found = tree.common_ancestor(a, b)
    return found.code if found else None


def test_common_ancestor(tree: OrgTree) -> None:
    assert ca(tree, "620102001", "620103") == "6201"
    assert ca(tree, "620102001", "620102Z01") == "620102"
    assert ca(tree, "620102", "620102001") == "620102"
    assert ca(tree, "62E01", "6205") == "62"
    assert tree.common_ancestor("15", "62") is None


def test_commission_and_stationed_unit_lookup(tree: OrgTree) -> None:
    assert tree.commission_of("620102Z01").code == "620102"
    assert tree.commission_of("620102").code == "620102"
    assert tree.stationed_unit_for("620102", "城关区 人民法院") == tree.get("620102Z01")
    assert tree.stationed_unit_for("620102", "城关区教育局") is None


def test_unknown_organ_is_not_found(tree: OrgTree) -> None:
    for call in (
        lambda: tree.get("99"),
        lambda: tree.children("99"),
        lambda: tree.subtree("99"),
        lambda: tree.in_subtree("62", "99"),
        lambda: tree.common_ancestor("62", "99"),
    ):
        with pytest.raises(NotFound) as err:
            call()
        assert err.value.code == "organ_unknown"


ALLOWED = [
    (T.INTERNAL_TRANSFER, "620102", "620102"),
    (T.INTERNAL_TRANSFER, "620102", None),
    (T.RETURN_TO_PETITION, "6201", "6201"),
    (T.FORWARD_DOWN, "62", "620102001"),
    (T.ASSIGN_DOWN, "6201", "620102"),
    (T.SUPERVISE_DOWN, "62", "62E01"),
    (T.REPORT_UP, "620102001", "62"),
    (T.REPORT_UP, "620102Z01", "6201"),
    (T.TO_STATIONED_UNIT, "620102", "620102Z01"),
    (T.FROM_STATIONED_UNIT, "620102Z01", "620102"),
    (T.HAND_OVER_OUTWARD, "620102", None),
]

REFUSED = [
    (T.INTERNAL_TRANSFER, "620102", "620103", "route_not_same_organ"),
    (T.RETURN_TO_PETITION, "620102", "6201", "route_not_same_organ"),
    (T.FORWARD_DOWN, "620102", "620103", "route_not_descendant"),
    (T.ASSIGN_DOWN, "620102", "6201", "route_not_descendant"),
    (T.SUPERVISE_DOWN, "6201", "6201", "route_not_descendant"),
    (T.FORWARD_DOWN, "6201", "620102Z01", "route_not_descendant"),
    (T.FORWARD_DOWN, "62", None, "route_target_required"),
    (T.REPORT_UP, "6201", "620102", "route_not_ancestor"),
    (T.REPORT_UP, "6201", "6201", "route_not_ancestor"),
    (T.REPORT_UP, "6201", "15", "route_not_ancestor"),
    (T.TO_STATIONED_UNIT, "6201", "620102Z01", "route_foreign_stationed_unit"),
    (T.TO_STATIONED_UNIT, "620102", "620103", "route_foreign_stationed_unit"),
    (T.FROM_STATIONED_UNIT, "620102Z01", "6201", "route_foreign_stationed_unit"),
    (T.FROM_STATIONED_UNIT, "620102", "6201", "route_foreign_stationed_unit"),
    (T.HAND_OVER_OUTWARD, "620102", "6201", "route_target_forbidden"),
]


@pytest.mark.parametrize("kind, source, target", ALLOWED)
def test_allowed_routes(tree: OrgTree, kind: T, source: str, target: str | None) -> None:
    tree.check_route(kind, source, target)
    assert tree.may_route(kind, source, target)


@pytest.mark.parametrize("kind, source, target, code", REFUSED)
def test_refused_routes(tree: OrgTree, kind: T, source: str, target: str | None, code: str) -> None:
    with pytest.raises(Conflict) as err:
        tree.check_route(kind, source, target)
    assert err.value.code == code
    assert err.value.details["source"] == source
    assert err.value.message_zh and err.value.message_en
    assert not tree.may_route(kind, source, target)


def test_may_route_refuses_unknown_organs(tree: OrgTree) -> None:
    assert not tree.may_route(T.FORWARD_DOWN, "62", "6299")
    assert not tree.may_route(T.FORWARD_DOWN, "6299", "62")


def test_route_targets(tree: OrgTree) -> None:
    assert codes(tree.route_targets(T.TO_STATIONED_UNIT, "620102")) == ["620102Z01"]
    assert codes(tree.route_targets(T.REPORT_UP, "620102001")) == ["62", "6201", "620102"]


INVALID = [
    ([rec("62", "province", None), rec("62", "province", None)], "organ_duplicate_code", "62"),
    ([rec("6201", "city", "62")], "organ_unknown_parent", "6201"),
    ([rec("62", "province", "6201"), rec("6201", "city", "62")], "organ_cycle", "62"),
    ([rec("62", "province", "62")], "organ_cycle", "62"),
    (
        [
            rec("620102", "county", None),
            rec("620102001", "township", "620102"),
            rec("620102001Z01", "township", "620102001", "stationed_unit"),
        ],
        "stationed_unit_under_township",
        "620102001Z01",
    ),
    ([rec("62", "province", None), rec("6201", "province", "62")], "organ_level_mismatch", "6201"),
    (
        [
            rec("62", "province", None),
            rec("62Z01", "province", "62", "stationed_unit"),
            rec("62Z0101", "city", "62Z01"),
        ],
        "organ_level_mismatch",
        "62Z0101",
    ),
    (
        [rec("62", "province", None), rec("62Z01", "city", "62", "stationed_unit")],
        "organ_level_mismatch",
        "62Z01",
    ),
    ([rec("62Z01", "province", None, "stationed_unit")], "organ_parent_not_commission", "62Z01"),
    (
        [
            rec("62", "province", None),
            rec("62E01", "province", "62", "enterprise_commission"),
            rec("62E01Z01", "province", "62E01", "stationed_unit"),
        ],
        "organ_parent_not_commission",
        "62E01Z01",
    ),
    (
        [
            rec("62", "province", None),
            rec("6201", "city", "62"),
            rec("6201E01", "city", "6201", "enterprise_commission"),
        ],
        "enterprise_commission_not_under_province",
        "6201E01",
    ),
    (
        [rec("62", "province", None), rec("62E1", "province", "62", "enterprise_commission")],
        "organ_code_malformed",
        "62E1",
    ),
    (
        [rec("62", "province", None), rec("62", "province", None, name="x")][:1]
        + [rec("620", "city", "62")],
        "organ_code_malformed",
        "620",
    ),
    (
        [rec("62", "province", None), rec("6301", "city", "62")],
        "organ_code_not_under_parent",
        "6301",
    ),
    (
        [rec("62", "province", None), rec("6201", "city", "62"), rec("620102", "county", "62")],
        "organ_parent_not_nearest",
        "620102",
    ),
    ([rec("62", "province", None), rec("6201", "city", None)], "organ_parent_not_nearest", "6201"),
    ([rec("62", "province", None, supervises=["某厅"])], "organ_supervises_not_stationed", "62"),
    ([rec("62", "galaxy", None)], "organ_invalid_record", "62"),
    ([rec("62", "province", None, kind="ministry")], "organ_invalid_record", "62"),
    ([rec("62", "province", 62)], "organ_invalid_record", "62"),
    ([rec("62", "province", None, supervises="某厅")], "organ_invalid_record", "62"),
    ([rec("62", "province", None, supervises=[""])], "organ_invalid_record", "62"),
    ([{**rec("62", "province", None), "name": " "}], "organ_invalid_record", "62"),
]


@pytest.mark.parametrize("records, code, organ", INVALID)
def test_validation_errors_name_the_organ(records: list[dict], code: str, organ: str) -> None:
    with pytest.raises(InvalidInput) as err:
        OrgTree.from_records(records)
    assert err.value.code == code
    assert err.value.details["organ"] == organ
    assert organ in err.value.message_zh and organ in err.value.message_en


@pytest.mark.parametrize(
    "record",
    ["62", {"name": "无代码", "level": "province"}, {"code": 62, "name": "x", "level": "province"}],
)
def test_malformed_records(record: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        OrgTree.from_records([record])
    assert err.value.code == "organ_invalid_record"
    assert err.value.details["index"] == 0


def test_kind_defaults_to_commission_and_parent_to_none() -> None:
    tree = OrgTree.from_records([{"code": "33", "name": "浙江省纪委监委", "level": "province"}])
    assert tree.get("33").kind is OrganKind.COMMISSION and tree.get("33").parent is None


def test_a_partial_tree_may_start_below_province() -> None:
    tree = OrgTree.from_records(
        [rec("330683", "county", None), rec("330683001", "township", "330683")]
    )
    assert codes(tree.ancestors("330683001")) == ["330683"]


# --- properties ----------------------------------------------------------------------


@st.composite
def forests(draw: st.DrawFn) -> list[dict]:
    records: list[dict] = []

    def stationed(parent: str, level: str) -> None:
        for n in draw(st.sets(st.integers(1, 99), max_size=1)):
            records.append(
                rec(f"{parent}Z{n:02d}", level, parent, "stationed_unit", supervises=[f"部门{n}"])
            )

    for p in draw(st.sets(st.integers(11, 99), min_size=1, max_size=2)):
        pc = f"{p:02d}"
        records.append(rec(pc, "province", None))
        stationed(pc, "province")
        for e in draw(st.sets(st.integers(1, 99), max_size=1)):
            records.append(rec(f"{pc}E{e:02d}", "province", pc, "enterprise_commission"))
        for c in draw(st.sets(st.integers(1, 99), max_size=3)):
            cc = f"{pc}{c:02d}"
            records.append(rec(cc, "city", pc))
            stationed(cc, "city")
            for k in draw(st.sets(st.integers(1, 99), max_size=2)):
                kc = f"{cc}{k:02d}"
                records.append(rec(kc, "county", cc))
                stationed(kc, "county")
                for t in draw(st.sets(st.integers(1, 999), max_size=2)):
                    records.append(rec(f"{kc}{t:03d}", "township", kc))
    return records


@settings(max_examples=60, deadline=None)
@given(records=forests(), seed=st.integers(0, 1000))
def test_subtree_is_itself_and_its_descendants_only(records: list[dict], seed: int) -> None:
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    tree = OrgTree.from_records(shuffled)
    for organ in tree.organs():
        descendants = {
            o.code for o in tree.organs() if organ.code in {a.code for a in tree.ancestors(o.code)}
        }
        assert set(codes(tree.subtree(organ.code))) == {organ.code} | descendants
        assert all(
            tree.in_subtree(o.code, organ.code) == (o.code in descendants | {organ.code})
            for o in tree.organs()
        )
        assert {c.code for c in tree.children(organ.code)} == {
            o.code for o in tree.organs() if o.parent == organ.code
        }


@settings(max_examples=40, deadline=None)
@given(records=forests(), data=st.data())
def test_common_ancestor_is_the_nearest_shared_one(
    records: list[dict],
    data: st.DataObject,
) -> None:
    tree = OrgTree.from_records(records)
    all_codes = codes(tree.organs())
    a = data.draw(st.sampled_from(all_codes))
    b = data.draw(st.sampled_from(all_codes))
    chain_a = [a, *codes(tree.ancestors(a))]
    chain_b = [b, *codes(tree.ancestors(b))]
    shared = [c for c in chain_a if c in chain_b]
    found = tree.common_ancestor(a, b)
    assert (found.code if found else None) == (shared[0] if shared else None)
    below = a != b and b in codes(tree.subtree(a))
    assert tree.may_route(T.FORWARD_DOWN, a, b) == (below and tree.get(b).is_commission)
    assert tree.may_route(T.REPORT_UP, b, a) == below


def test_an_org_tree_document_holds_its_organs_under_organs_or_as_a_bare_list() -> None:
    records = [
        {"code": "62", "name": "甘肃省纪委监委", "level": "province", "kind": "commission"},
        {
            "code": "6201",
            "name": "兰州市纪委监委",
            "level": "city",
            "kind": "commission",
            "parent": "62",
        },
    ]
    tree = OrgTree.from_document({"demo": True, "organs": records})
    assert [organ.code for organ in tree.organs()] == ["62", "6201"]
    assert len(OrgTree.from_document(records).organs()) == 2
    for bad in ({"demo": True}, {"organs": "62"}, "62", None):
        with pytest.raises(InvalidInput) as refused:
            OrgTree.from_document(bad)
        assert refused.value.code == "org_tree_document_invalid"
