"""The org tree 组织体系: commissions at four levels, their stationed units and offices.

Organs are identified by GB/T 2260 division codes (2, 4, 6 digits; 9 for townships). A
stationed unit 派驻纪检监察组 is its commission's code + "Z" + 2 digits; a provincial
state-owned enterprise commission 省属企业纪委 is the province code + "E" + 2 digits.
Validation makes every organ's parent the nearest organ whose code is a prefix of its
own, so a subtree is exactly a code prefix.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import Conflict, InvalidInput, NotFound
from domain.vocabulary import Level, Office, OrganKind, TransferKind

__all__ = ["Level", "OrganKind", "Office", "Organ", "OrgTree", "ALL_OFFICES"]

ALL_OFFICES: tuple[Office, ...] = tuple(Office)

_COMMISSION_CODE = {
    Level.PROVINCE: re.compile(r"\d{2}"),
    Level.CITY: re.compile(r"\d{4}"),
    Level.COUNTY: re.compile(r"\d{6}"),
    Level.TOWNSHIP: re.compile(r"\d{9}"),
}
_STATIONED_CODE = re.compile(r"(\d{2}|\d{4}|\d{6})Z\d{2}")
_ENTERPRISE_CODE = re.compile(r"\d{2}E\d{2}")


@dataclass(frozen=True)
class Organ:
    """One organ: a commission 纪委监委, a stationed unit or an enterprise commission."""

    code: str
    name: str
    level: Level
    kind: OrganKind
    parent: str | None
    supervises: tuple[str, ...] = ()

    @property
    def is_commission(self) -> bool:
        """A commission of its own (regional or enterprise), not a stationed unit."""
        return self.kind is not OrganKind.STATIONED_UNIT

    @property
    def offices(self) -> tuple[Office, ...]:
        """Every commission has the four offices; a stationed unit receives and handles."""
        if self.kind is OrganKind.STATIONED_UNIT:
            return (Office.PETITION, Office.SUPERVISION)
        return ALL_OFFICES

    def as_record(self) -> dict[str, Any]:
        """Plain data, the inverse of one `OrgTree.from_records` record."""
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level.value,
            "kind": self.kind.value,
            "parent": self.parent,
            "supervises": list(self.supervises),
        }


def _invalid(code: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, zh, en, **details)


def _parse_record(index: int, record: Any) -> Organ:
    if not isinstance(record, Mapping):
        raise _invalid(
            "organ_invalid_record",
            f"第{index + 1}条机关记录不是键值结构",
            f"Organ record {index + 1} is not a mapping",
            index=index,
        )
    code = record.get("code")
    label = f"{record.get('name', '?')} ({code})"
    name = record.get("name")
    if not isinstance(code, str) or not code:
        raise _invalid(
            "organ_invalid_record",
            f"第{index + 1}条机关记录缺少字符串代码:{label}",
            f"Organ record {index + 1} has no string code: {label}",
            index=index,
        )
    if not isinstance(name, str) or not name.strip():
        raise _invalid(
            "organ_invalid_record",
            f"机关 {code} 缺少名称",
            f"Organ {code} has no name",
            organ=code,
        )
    try:
        level = Level(str(record.get("level")))
        kind = OrganKind(str(record.get("kind", OrganKind.COMMISSION.value)))
    except ValueError:
        raise _invalid(
            "organ_invalid_record",
            f"机关 {label} 的层级或类型无效",
            f"Organ {label} has an unknown level or kind",
            organ=code,
        ) from None
    parent = record.get("parent")
    if parent is not None and (not isinstance(parent, str) or not parent):
        raise _invalid(
            "organ_invalid_record",
            f"机关 {label} 的上级代码必须是字符串",
            f"Organ {label}: parent must be a string code or null",
            organ=code,
        )
    supervises = record.get("supervises") or ()
    if isinstance(supervises, str) or not all(isinstance(s, str) and s.strip() for s in supervises):
        raise _invalid(
            "organ_invalid_record",
            f"机关 {label} 的监督单位必须是名称列表",
            f"Organ {label}: supervises must be a list of department names",
            organ=code,
        )
    return Organ(code, name, level, kind, parent, tuple(supervises))


class OrgTree:
    """A validated forest of organs, queried by code."""

    def __init__(self, organs: Iterable[Organ]) -> None:
        self._organs: dict[str, Organ] = {}
        for organ in organs:
            if organ.code in self._organs:
                raise _invalid(
                    "organ_duplicate_code",
                    f"机关代码 {organ.code} 重复({self._organs[organ.code].name}、{organ.name})",
                    f"Organ code {organ.code} is used twice "
                    f"({self._organs[organ.code].name}, {organ.name})",
                    organ=organ.code,
                )
            self._organs[organ.code] = organ
        self._validate()
        self._codes = sorted(self._organs)
        self._children: dict[str, list[Organ]] = {code: [] for code in self._organs}
        for code in self._codes:
            parent = self._organs[code].parent
            if parent is not None:
                self._children[parent].append(self._organs[code])

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> OrgTree:
        """Build from plain records with keys code, name, level, kind, parent, supervises."""
        return cls(_parse_record(i, record) for i, record in enumerate(records))

    @classmethod
    def from_document(cls, document: Any) -> OrgTree:
        """Build from an org-tree document (orgs.yaml): {"organs": [...]} or a bare list."""
        records = document.get("organs") if isinstance(document, Mapping) else document
        if not isinstance(records, list):
            raise _invalid(
                "org_tree_document_invalid",
                "机构树文件应包含机构列表 organs",
                "The org-tree document must hold a list of organs",
            )
        return cls.from_records(records)

    # --- validation ------------------------------------------------------------------

    def _validate(self) -> None:
        for organ in self._organs.values():
            if organ.parent is not None and organ.parent not in self._organs:
                raise _invalid(
                    "organ_unknown_parent",
                    f"机关 {organ.name}({organ.code})的上级 {organ.parent} 不存在",
                    f"Organ {organ.name} ({organ.code}) names an unknown parent {organ.parent}",
                    organ=organ.code,
                    parent=organ.parent,
                )
        for organ in self._organs.values():
            self._check_no_cycle(organ)
        for organ in self._organs.values():
            self._check_structure(organ)

    def _check_no_cycle(self, organ: Organ) -> None:
        seen = [organ.code]
        current = organ.parent
        while current is not None:
            if current in seen:
                cycle = " → ".join([*seen[seen.index(current) :], current])
                raise _invalid(
                    "organ_cycle",
                    f"机关 {organ.name}({organ.code})的上级关系成环:{cycle}",
                    f"Organ {organ.name} ({organ.code}) is in a parent cycle: {cycle}",
                    organ=organ.code,
                    cycle=cycle,
                )
            seen.append(current)
            current = self._organs[current].parent

    def _check_structure(self, organ: Organ) -> None:
        label = f"{organ.name}({organ.code})"
        label_en = f"{organ.name} ({organ.code})"
        parent = self._organs[organ.parent] if organ.parent is not None else None
        if organ.kind is OrganKind.COMMISSION:
            pattern = _COMMISSION_CODE[organ.level]
            if parent is not None and (
                parent.kind is not OrganKind.COMMISSION or parent.level.rank >= organ.level.rank
            ):
                raise _invalid(
                    "organ_level_mismatch",
                    f"机关 {label} 的层级({organ.level.label_zh})必须低于上级纪委监委",
                    f"Organ {label_en} ({organ.level.value}) must sit below a commission "
                    "of a higher level",
                    organ=organ.code,
                )
        else:
            if parent is None or parent.kind is not OrganKind.COMMISSION:
                raise _invalid(
                    "organ_parent_not_commission",
                    f"机关 {label} 必须隶属于一个纪委监委",
                    f"Organ {label_en} must belong to a regional commission",
                    organ=organ.code,
                )
            if organ.kind is OrganKind.STATIONED_UNIT:
                if parent.level is Level.TOWNSHIP:
                    raise _invalid(
                        "stationed_unit_under_township",
                        f"派驻机构 {label} 不能设在乡镇纪委 {parent.name} 之下",
                        f"Stationed unit {label_en} cannot sit under the township "
                        f"commission {parent.name}",
                        organ=organ.code,
                        parent=parent.code,
                    )
                pattern = _STATIONED_CODE
                expected_level = parent.level
            else:
                pattern = _ENTERPRISE_CODE
                expected_level = Level.PROVINCE
                if parent.level is not Level.PROVINCE:
                    raise _invalid(
                        "enterprise_commission_not_under_province",
                        f"省属企业纪委 {label} 必须隶属于省纪委监委",
                        f"Enterprise commission {label_en} must belong to a province commission",
                        organ=organ.code,
                    )
            if organ.level is not expected_level:
                raise _invalid(
                    "organ_level_mismatch",
                    f"机关 {label} 的层级必须与所属纪委监委相同({expected_level.label_zh})",
                    f"Organ {label_en} must have its commission's level ({expected_level.value})",
                    organ=organ.code,
                )
        if organ.supervises and organ.kind is not OrganKind.STATIONED_UNIT:
            raise _invalid(
                "organ_supervises_not_stationed",
                f"只有派驻机构才有监督单位:{label}",
                f"Only a stationed unit supervises departments: {label_en}",
                organ=organ.code,
            )
        if not pattern.fullmatch(organ.code):
            raise _invalid(
                "organ_code_malformed",
                f"机关 {label} 的代码不符合其层级和类型的格式",
                f"Organ {label_en}: the code does not fit its level and kind",
                organ=organ.code,
            )
        prefixes = [organ.code[:n] for n in range(len(organ.code) - 1, 0, -1)]
        nearest = next((p for p in prefixes if p in self._organs), None)
        if parent is not None and not organ.code.startswith(parent.code):
            raise _invalid(
                "organ_code_not_under_parent",
                f"机关 {label} 的代码必须以上级代码 {parent.code} 开头",
                f"Organ {label_en}: the code must start with its parent's code {parent.code}",
                organ=organ.code,
                parent=parent.code,
            )
        if nearest != organ.parent:
            raise _invalid(
                "organ_parent_not_nearest",
                f"机关 {label} 的上级应为代码前缀最近的机关 {nearest}",
                f"Organ {label_en}: its parent must be the nearest organ by code prefix, {nearest}",
                organ=organ.code,
                nearest=nearest,
            )

    # --- queries ---------------------------------------------------------------------

    def get(self, code: str) -> Organ:
        try:
            return self._organs[code]
        except KeyError:
            raise NotFound(
                "organ_unknown",
                f"机关 {code} 不存在",
                f"No organ has code {code}",
                organ=code,
            ) from None

    def __contains__(self, code: object) -> bool:
        return code in self._organs

    def __len__(self) -> int:
        return len(self._organs)

    def organs(self) -> list[Organ]:
        """Every organ, in code order (so each parent before its descendants)."""
        return [self._organs[code] for code in self._codes]

    def roots(self) -> list[Organ]:
        return [organ for organ in self.organs() if organ.parent is None]

    def parent(self, code: str) -> Organ | None:
        organ = self.get(code)
        return None if organ.parent is None else self._organs[organ.parent]

    def ancestors(self, code: str) -> list[Organ]:
        """Strict ancestors, nearest first."""
        chain: list[Organ] = []
        current = self.parent(code)
        while current is not None:
            chain.append(current)
            current = self.parent(current.code)
        return chain

    def children(self, code: str) -> list[Organ]:
        self.get(code)
        return list(self._children[code])

    def subtree(self, code: str) -> list[Organ]:
        """The organ itself and all its descendants, in code order."""
        self.get(code)
        start = bisect.bisect_left(self._codes, code)
        result = []
        for other in self._codes[start:]:
            if not other.startswith(code):
                break
            result.append(self._organs[other])
        return result

    def in_subtree(self, code: str, root: str) -> bool:
        """Whether `code` is `root` or one of its descendants (both must exist)."""
        self.get(code)
        self.get(root)
        return code.startswith(root)

    def common_ancestor(self, a: str, b: str) -> Organ | None:
        """The nearest organ whose subtree holds both (possibly one of them), or None."""
        chain_a = [self.get(a), *self.ancestors(a)]
        self.get(b)
        return next((organ for organ in chain_a if b.startswith(organ.code)), None)

    def commission_of(self, code: str) -> Organ:
        """A stationed unit's commission; any other organ is its own commission."""
        organ = self.get(code)
        if organ.kind is OrganKind.STATIONED_UNIT:
            assert organ.parent is not None
            return self._organs[organ.parent]
        return organ

    def stationed_units(self, code: str) -> list[Organ]:
        """The stationed units of a commission."""
        return [c for c in self.children(code) if c.kind is OrganKind.STATIONED_UNIT]

    def stationed_unit_for(self, commission: str, department: str) -> Organ | None:
        """The stationed unit of `commission` that supervises `department`, if any."""
        wanted = _normalise_department(department)
        for unit in self.stationed_units(commission):
            if any(_normalise_department(d) == wanted for d in unit.supervises):
                return unit
        return None

    def at_level(self, level: Level, within: str | None = None) -> list[Organ]:
        """Regional commissions of one level, optionally inside a subtree."""
        pool = self.subtree(within) if within is not None else self.organs()
        return [o for o in pool if o.level is level and o.kind is OrganKind.COMMISSION]

    # --- routing ---------------------------------------------------------------------

    def check_route(self, kind: TransferKind, source: str, target: str | None) -> None:
        """Refuse (Conflict) a routing action that may not go from `source` to `target`."""
        src = self.get(source)
        if kind is TransferKind.HAND_OVER_OUTWARD:
            if target is not None:
                raise _route_error(
                    "route_target_forbidden",
                    f"移交至系统外单位时不应指定系统内机关({target})",
                    f"A hand-over outward goes outside the system: no organ target ({target})",
                    kind,
                    src,
                    target,
                )
            return
        if kind in (TransferKind.INTERNAL_TRANSFER, TransferKind.RETURN_TO_PETITION):
            if target is not None and self.get(target).code != src.code:
                raise _route_error(
                    "route_not_same_organ",
                    f"{kind.label_zh}只能在{src.name}内部进行,不能转到 {self.get(target).name}",
                    f"{kind.label_en} stays inside {src.name}; it cannot go to "
                    f"{self.get(target).name}",
                    kind,
                    src,
                    target,
                )
            return
        if target is None:
            raise _route_error(
                "route_target_required",
                f"{kind.label_zh}需要指定接收机关",
                f"{kind.label_en} needs a target organ",
                kind,
                src,
                target,
            )
        dst = self.get(target)
        if kind.goes_down:
            if dst.code == src.code or not dst.code.startswith(src.code) or not dst.is_commission:
                raise _route_error(
                    "route_not_descendant",
                    f"{kind.label_zh}只能发往{src.name}的下级纪检监察机关,{dst.name}不是",
                    f"{kind.label_en} goes to a lower commission of {src.name}; "
                    f"{dst.name} is not one",
                    kind,
                    src,
                    target,
                )
        elif kind is TransferKind.REPORT_UP:
            if dst.code == src.code or not src.code.startswith(dst.code):
                raise _route_error(
                    "route_not_ancestor",
                    f"报送只能发往{src.name}的上级纪检监察机关,{dst.name}不是",
                    f"Report up goes to a higher commission of {src.name}; {dst.name} is not one",
                    kind,
                    src,
                    target,
                )
        elif kind is TransferKind.TO_STATIONED_UNIT:
            if dst.kind is not OrganKind.STATIONED_UNIT or dst.parent != src.code:
                raise _route_error(
                    "route_foreign_stationed_unit",
                    f"{dst.name}不是{src.name}的派驻机构",
                    f"{dst.name} is not a stationed unit of {src.name}",
                    kind,
                    src,
                    target,
                )
        else:  # FROM_STATIONED_UNIT
            if src.kind is not OrganKind.STATIONED_UNIT or src.parent != dst.code:
                raise _route_error(
                    "route_foreign_stationed_unit",
                    f"只能由派驻机构转回其所属纪委监委:{src.name} → {dst.name}",
                    f"Only a stationed unit sends back, and only to its own commission: "
                    f"{src.name} → {dst.name}",
                    kind,
                    src,
                    target,
                )

    def may_route(self, kind: TransferKind, source: str, target: str | None) -> bool:
        """Whether `check_route` would accept; unknown organs are refused too."""
        try:
            self.check_route(kind, source, target)
        except (Conflict, NotFound):
            return False
        return True

    def route_targets(self, kind: TransferKind, source: str) -> list[Organ]:
        """Every organ of the tree that `source` may send a case to by `kind`."""
        return [o for o in self.organs() if self.may_route(kind, source, o.code)]


def _route_error(
    code: str, zh: str, en: str, kind: TransferKind, src: Organ, target: str | None
) -> Conflict:
    return Conflict(code, zh, en, transfer_kind=kind.value, source=src.code, target=target)


def _normalise_department(name: str) -> str:
    return "".join(name.split())
